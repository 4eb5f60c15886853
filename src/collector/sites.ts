import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { PARAM_NAME, SITE_ID } from '../shared/protocol.js'
import { isTimeZone } from './time-zone.js'

/**
 * Sites and tokens live in a small JSON file (default `quietcount.json`), managed by the CLI and
 * read by the server, so the counts store stays a plain counter store. Tokens are kept only as
 * SHA-256 hashes: the file grants nothing if it leaks.
 */
export interface Site {
  id: string
  /** Origins whose pages may send beacons (`https://example.org`); empty: any. */
  origins: string[]
  /** IANA time zone in which the site's days and months are counted. */
  timezone: string
  /**
   * Query parameters a path may keep, as the tracker's `params` option (utm_* and ref are
   * campaign fields and never part of a path). Any other parameter a beacon carries is dropped.
   */
  params?: string[]
  /** Public read-only share links: an unguessable id and the k of k-anonymity applied. */
  shares: { id: string; k: number }[]
  /**
   * Days of the detail tier (whole tuples, any combination of filters) the site keeps, today
   * included: 0 (marginals only) to MAX_DETAIL_DAYS; DEFAULT_DETAIL_DAYS when absent.
   */
  detailDays?: number
}

/** "Last 30 days" and the 30 days before it can be filtered freely. */
export const DEFAULT_DETAIL_DAYS = 62
/** The days of detail a site keeps. */
export const detailDaysOf = (site: Pick<Site, 'detailDays'>) => site.detailDays ?? DEFAULT_DETAIL_DAYS
/** 25 months of 30.4 days: CNIL's limit for the raw data of an audience measurement exempt from consent. */
export const MAX_DETAIL_DAYS = 760

export interface Token {
  hash: string
  /** The site it may read, or `*` for the admin token. */
  site: string
  created: string
  /** What made it, for tokens the CLI makes and replaces by itself (`npm start`'s). */
  note?: string
}

export interface Registry {
  sites: Site[]
  tokens: Token[]
}

const HASH = /^[0-9a-f]{64}$/
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
export const newSecret = () => randomBytes(24).toString('base64url')

/** Validates a site definition; returns the problem in words, or undefined. */
export function siteProblem(site: Site): string | undefined {
  if (typeof site !== 'object' || !Array.isArray(site.origins) || !Array.isArray(site.shares))
    return `site ${JSON.stringify(site)} must have an id, origins [...], a timezone and shares [...]`
  if (!SITE_ID.test(site.id)) return `site id ${JSON.stringify(site.id)} must be lowercase letters, digits, dots and dashes`
  if (!isTimeZone(site.timezone)) return `time zone ${JSON.stringify(site.timezone)} is not an IANA time zone (e.g. Europe/Madrid)`
  if (site.detailDays !== undefined && !(Number.isInteger(site.detailDays) && site.detailDays >= 0 && site.detailDays <= MAX_DETAIL_DAYS)) {
    return `detail window ${JSON.stringify(site.detailDays)} of ${site.id} must be a whole number of days from 0 to ${MAX_DETAIL_DAYS} (25 months)`
  }
  for (const param of site.params ?? []) {
    if (!PARAM_NAME.test(param)) return `query parameter ${JSON.stringify(param)} must match ${PARAM_NAME}`
  }
  for (const origin of site.origins) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (!parsed || parsed.origin !== origin) return `origin ${JSON.stringify(origin)} must be a scheme and host, e.g. https://example.org`
  }
}

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

/** The registry in `file`, re-read whenever the file changes, so the CLI can edit it under a running server. */
export function registryFile(file: string) {
  let cached: { mtime: number; registry: Registry } | undefined
  return {
    file,
    read(): Registry {
      let mtime = -1
      try {
        mtime = statSync(file).mtimeMs
      } catch {
        return { sites: [], tokens: [] }
      }
      if (cached?.mtime !== mtime) {
        try {
          cached = { mtime, registry: parseRegistry(readFileSync(file, 'utf8'), file) }
        } catch (failure) {
          // A running server keeps the last good registry when a hand edit breaks the file, and says so once.
          if (!cached) throw failure
          console.error(`quietcount: ${(failure as Error).message}; still using the registry read before`)
          cached = { ...cached, mtime }
        }
      }
      return cached.registry
    },
    write(registry: Registry) {
      // Write-then-rename, so a server never reads half a file; readable by the owner only.
      writeFileSync(`${file}.tmp`, `${JSON.stringify(registry, null, 2)}\n`, { mode: 0o600 })
      renameSync(`${file}.tmp`, file)
      cached = undefined
    },
  }
}
export type RegistryFile = ReturnType<typeof registryFile>

/** Who may read `site` with this bearer token: 'ok', or the HTTP status that refuses it. */
export function authorize(registry: Registry, authorization: string | undefined, site: string): 'ok' | 401 | 403 {
  // The scheme is case-insensitive (RFC 9110).
  const token = /^bearer +(\S+)$/i.exec(authorization ?? '')?.[1]
  if (!token) return 401
  const hash = Buffer.from(hashToken(token), 'hex')
  // A hand-edited entry that is not a SHA-256 hash matches nothing (and must not throw).
  const match = registry.tokens.find((t) => HASH.test(t.hash) && timingSafeEqual(Buffer.from(t.hash, 'hex'), hash))
  if (!match) return 401
  return match.site === '*' || match.site === site ? 'ok' : 403
}
