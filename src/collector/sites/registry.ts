import { randomBytes } from 'node:crypto'
import { type FSWatcher, readFileSync, renameSync, statSync, watch, writeFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { DEFAULT_EPSILON, DEFAULT_PANELS, hashToken, isLegacyShare, newSecret, type Registry, type ShareLink, type Site, type SiteImport, siteProblem } from './sites.js'

/**
 * The registry file (sites and tokens, default `quietcount.json`): read once, and read again only
 * when the file changes, so that the CLI can edit it under a running server without a request
 * paying for a stat or a parse. Edits are pure functions of a Registry, written with `write`.
 */

/** Reads a registry file's text, or throws naming the file and what is wrong. */
function parseRegistry(text: string, file: string): Registry {
  let registry: Registry
  try {
    registry = JSON.parse(text) as Registry
  } catch (failure) {
    throw new Error(`${file} is not valid JSON (${(failure as Error).message})`)
  }
  if (!Array.isArray(registry?.sites) || !Array.isArray(registry.tokens)) throw new Error(`${file} must hold {"sites": [...], "tokens": [...]}`)
  for (const site of registry.sites) {
    const problem = siteProblem(site)
    if (problem) throw new Error(`${file}: ${problem}`)
  }
  return registry
}

const EMPTY: Registry = { sites: [], tokens: [] }

/** The registry in `file`. `read()` costs nothing until the file changes. */
export function registryFile(file: string) {
  let registry: Registry | undefined
  let stale = true
  let watcher: FSWatcher | undefined
  // Where the directory cannot be watched, each read compares the file's mtime instead.
  let mtime: number | undefined

  const mtimeOf = () => {
    try {
      return statSync(file).mtimeMs
    } catch {
      return -1
    }
  }
  // The directory, not the file: a write is a rename over the file, which ends a watch on the file itself.
  const startWatching = () => {
    try {
      watcher = watch(dirname(resolve(file)), { persistent: false }, (_event, name) => {
        if (!name || name === basename(file)) stale = true
      })
      watcher.on('error', () => {
        watcher?.close()
        watcher = undefined
        stale = true
      })
    } catch {
      mtime = mtimeOf()
    }
  }
  const load = (): Registry => {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return EMPTY
    }
    try {
      return parseRegistry(text, file)
    } catch (failure) {
      // A running server keeps the last good registry when a hand edit breaks the file, and says so once.
      if (!registry) throw failure
      console.error(`quietcount: ${(failure as Error).message}; still using the registry read before`)
      return registry
    }
  }

  return {
    file,
    read(): Registry {
      if (!watcher && mtime === undefined) startWatching()
      if (!watcher && mtime !== undefined) {
        const now = mtimeOf()
        if (now !== mtime) stale = true
        mtime = now
      }
      if (stale || !registry) {
        stale = false
        registry = load()
      }
      return registry
    },
    write(next: Registry) {
      // Write-then-rename, so a server never reads half a file; readable by the owner only.
      writeFileSync(`${file}.tmp`, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
      renameSync(`${file}.tmp`, file)
      registry = next
      if (mtime !== undefined) mtime = mtimeOf()
    },
    /** Stops watching the file (for a process that goes on after it is done with the registry). */
    close() {
      watcher?.close()
      watcher = undefined
    },
  }
}
export type RegistryFile = ReturnType<typeof registryFile>

/** The registry with `site` added, or replacing the site of the same id. */
export const withSite = (registry: Registry, site: Site): Registry => ({
  ...registry,
  sites: registry.sites.some((s) => s.id === site.id) ? registry.sites.map((s) => (s.id === site.id ? site : s)) : [...registry.sites, site],
})

/** The registry without the site `id` and its read tokens. */
export const withoutSite = (registry: Registry, id: string): Registry => ({
  sites: registry.sites.filter((s) => s.id !== id),
  tokens: registry.tokens.filter((t) => t.site !== id),
})

/**
 * A new token for `site` ('*' for admin), and the registry that holds its hash. `note` says what
 * made it; with `replace`, it replaces the earlier tokens of that note (`npm start` makes one at
 * each run).
 */
export function withToken(registry: Registry, site: string, made: { note?: string; replace?: boolean } = {}): { registry: Registry; token: string } {
  const token = newSecret()
  const kept = made.replace ? registry.tokens.filter((t) => t.note !== made.note) : registry.tokens
  const entry = { hash: hashToken(token), site, created: new Date().toISOString(), ...(made.note !== undefined && { note: made.note }) }
  return { registry: { ...registry, tokens: [...kept, entry] }, token }
}

/** The registry without `token`, or undefined when it holds no such token. */
export function withoutToken(registry: Registry, token: string): Registry | undefined {
  const hash = hashToken(token)
  if (!registry.tokens.some((t) => t.hash === hash)) return undefined
  return { ...registry, tokens: registry.tokens.filter((t) => t.hash !== hash) }
}

/** A new share link of `site`, and the registry that holds it. Its seed is the secret its noise comes from. */
export function withShare(registry: Registry, site: Site, chosen: Pick<ShareLink, 'epsilon' | 'panels'>, id = newSecret()): { registry: Registry; link: ShareLink } {
  const link: ShareLink = { id, epsilon: chosen.epsilon, seed: randomBytes(32).toString('base64url'), panels: chosen.panels, created: new Date().toISOString() }
  return { registry: withSite(registry, { ...site, shares: [...site.shares.filter((s) => s.id !== id), link] }), link }
}

/**
 * The registry with every k-anonymity share link of older versions turned into a differentially
 * private one of the same address, with the default ε and panels, and how many were. Their k is
 * dropped: differencing broke it (docs/privacy.md, "Share links").
 */
export function withSharesMigrated(registry: Registry): { registry: Registry; converted: number } {
  let converted = 0
  for (const site of registry.sites) {
    for (const share of site.shares) {
      if (!isLegacyShare(share)) continue
      const current = registry.sites.find((s) => s.id === site.id)!
      registry = withShare(registry, current, { epsilon: DEFAULT_EPSILON, panels: DEFAULT_PANELS }, share.id).registry
      converted++
    }
  }
  return { registry, converted }
}

/** The registry without the share link `link` of `site`. */
export const withoutShare = (registry: Registry, site: Site, link: string): Registry => withSite(registry, { ...site, shares: site.shares.filter((s) => s.id !== link) })

/** The registry with `imported` recorded for `site`, replacing an import of the same id. */
export const withImport = (registry: Registry, site: Site, imported: SiteImport): Registry =>
  withSite(registry, { ...site, imports: [...(site.imports ?? []).filter((i) => i.id !== imported.id), imported].sort((a, b) => (a.from < b.from ? -1 : 1)) })

/** The registry without the import `id` of `site`. */
export const withoutImport = (registry: Registry, site: Site, id: string): Registry => withSite(registry, { ...site, imports: (site.imports ?? []).filter((i) => i.id !== id) })
