import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ParseArgsConfig } from 'node:util'
import { type RegistryFile, withSharesMigrated } from '../collector/sites/registry.js'
import { DEFAULT_EPSILON, DEFAULT_PANELS } from '../collector/sites/sites.js'
import { openStore } from '../collector/stores/open.js'
import type { Store } from '../collector/stores/store.js'

/**
 * What every command file shares: the shape of a command, the flags most take, the checks of a
 * flag's value, and the one error that means "you asked wrongly" (exit code 2, usage printed)
 * rather than "it failed" (exit code 1).
 */

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | string[] | undefined>

export interface Command {
  /** The help text; its first line is the synopsis `quietcount --help` lists. */
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(values: Values, positionals: string[]): Promise<void>
}

export const STORE = { type: 'string', default: process.env.QUIETCOUNT_STORE ?? 'sqlite:./quietcount.db' } as const
export const CONFIG = { type: 'string', default: process.env.QUIETCOUNT_CONFIG ?? './quietcount.json' } as const

/** The installed package's root (dist/node/cli/ is three levels down), for the built scripts and the examples. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..')

/** This machine's time zone, the default of a new site. */
export const localTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/**
 * The value of `--flag` as a whole number from min to max, or a UsageError saying so.
 * `unit` names what is counted ("days"); `minMeans` what the smallest value does ("off"); `or`
 * a word the flag takes instead of a number, which the caller checks first ("forever").
 */
export function wholeNumber(flag: string, raw: unknown, min: number, max: number, words: { unit?: string; minMeans?: string; or?: string } = {}): number {
  const text = String(raw)
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const counted = words.unit ? ` of ${words.unit}` : ''
    const meaning = words.minMeans ? ` (${words.minMeans})` : ''
    const alternative = words.or ? `, or ${words.or}` : ''
    throw new UsageError(`--${flag} must be a whole number${counted} from ${min}${meaning} to ${max}${alternative} (got ${JSON.stringify(text)})`)
  }
  return value
}

/** The site `id` of the registry, or a UsageError that says where to look. */
export function siteNamed(registry: RegistryFile, id: unknown) {
  const site = registry.read().sites.find((s) => s.id === id)
  if (!site) throw new UsageError(`no site ${JSON.stringify(id ?? '')} in ${registry.file} (see quietcount sites list)`)
  return site
}

/**
 * Opens a store and brings its schema up to date, with the sites' time zones for an upgrade that
 * needs them; share links of older versions (k-anonymity) become differentially private ones.
 */
export async function openMigrated(url: string, registry: RegistryFile): Promise<Store> {
  const shares = withSharesMigrated(registry.read())
  if (shares.converted) {
    registry.write(shares.registry)
    // On stderr: a command's output (report --format json) stays what it was asked for.
    console.error(
      `quietcount: ${shares.converted} share link(s) of k-anonymity, which differencing breaks, are now differentially private (ε = ${DEFAULT_EPSILON}, panels ${DEFAULT_PANELS.join(', ')}); their addresses stay the same (quietcount share list)`,
    )
  }
  const store = await openStore(url)
  try {
    await store.migrate({ timezoneOf: (id) => registry.read().sites.find((s) => s.id === id)?.timezone ?? 'UTC' })
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  return store
}

/** Runs `work` with the store at `url`, migrated, and closes it whatever happens. */
export async function withStore<T>(url: string, registry: RegistryFile, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openMigrated(url, registry)
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}
