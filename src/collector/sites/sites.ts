import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { BREAKDOWN_NAMES, type BreakdownName } from '../../shared/dimensions.js'
import { PARAM_NAME, SITE_ID } from '../../shared/protocol.js'
import { isTimeZone } from './time-zone.js'

/**
 * Sites and tokens live in a small JSON file (default `quietcount.json`, see registry.ts), managed
 * by the CLI and read by the server, so the counts store stays a plain counter store. Tokens are kept only as
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
  /** Public read-only share links (differentially private; older registries may hold k-anonymity links until migrated). */
  shares: (ShareLink | LegacyShare)[]
  /**
   * Days of the detail tier (whole tuples, any combination of filters) the site keeps, today
   * included: 0 (marginals only) to MAX_DETAIL_DAYS; DEFAULT_DETAIL_DAYS when absent.
   */
  detailDays?: number
  /**
   * Whole site-local months of the marginal tier (totals, daily, monthly) the site keeps, the
   * current month included: 1 to MAX_MARGINAL_MONTHS; kept for ever when absent.
   */
  marginalMonths?: number
  /** Counts imported from another tool (quietcount import), read beside the site's own. */
  imports?: SiteImport[]
}

/**
 * A public, read-only view of a site's stats without a token, made differentially private
 * (src/collector/stats/public/, docs/privacy.md "Share links").
 */
export interface ShareLink {
  /** Unguessable but public: it is the link's address. */
  id: string
  /** The privacy loss one counted record (a page view, an event, a consent decision) may suffer from everything the link answers: 0.01 to 10, in hundredths. */
  epsilon: number
  /** The secret the link's noise is drawn from: 32 random bytes, base64url. Never shown. */
  seed: string
  /** The breakdowns the link shows: each costs privacy, so a link shows only these. */
  panels: BreakdownName[]
  created: string
}

/** A share link of row-by-row k-anonymity, which differencing broke: migrateShares() turns it into a ShareLink. */
export interface LegacyShare {
  id: string
  k: number
}

export const isLegacyShare = (share: ShareLink | LegacyShare): share is LegacyShare => !('seed' in share)

/** The panels of a share link unless its maker chose others: what a site's visitors are most asked about. */
export const DEFAULT_PANELS: BreakdownName[] = ['page', 'entry_page', 'referrer', 'country', 'device', 'event']
export const DEFAULT_EPSILON = 1
export const MAX_EPSILON = 10

/** Why `epsilon` cannot be a link's ε, or undefined. */
export const epsilonProblem = (epsilon: number) =>
  Number.isFinite(epsilon) && epsilon >= 0.01 && epsilon <= MAX_EPSILON && Math.abs(Math.round(epsilon * 100) - epsilon * 100) < 1e-9
    ? undefined
    : `must be a number from 0.01 to ${MAX_EPSILON} with at most two decimals`

/** Why `panels` cannot be a link's panels, or undefined. */
export const panelsProblem = (panels: readonly string[]) =>
  panels.length && panels.every((p) => (BREAKDOWN_NAMES as string[]).includes(p)) && new Set(panels).size === panels.length
    ? undefined
    : `must name one or more of ${BREAKDOWN_NAMES.join(', ')}, each once`

const SHARE_ID = /^[A-Za-z0-9_-]{16,64}$/
const SEED = /^[A-Za-z0-9_-]{43}$/

function shareProblem(share: ShareLink | LegacyShare, site: string): string | undefined {
  const where = `share link ${JSON.stringify(share?.id)} of ${site}`
  if (typeof share !== 'object' || share === null || !SHARE_ID.test(share.id)) return `${where} must have an id of 16 to 64 letters, digits, - and _`
  if (isLegacyShare(share)) return Number.isInteger(share.k) && share.k >= 1 ? undefined : `${where}: k must be a whole number from 1`
  const epsilon = epsilonProblem(share.epsilon)
  if (epsilon) return `${where}: epsilon ${epsilon} (got ${JSON.stringify(share.epsilon)})`
  if (!SEED.test(share.seed)) return `${where}: seed must be 32 bytes in base64url, as quietcount share create writes it`
  const panels = panelsProblem(Array.isArray(share.panels) ? share.panels : [])
  if (panels) return `${where}: panels ${panels} (got ${JSON.stringify(share.panels)})`
}

/** An import's record in the registry; its rows are in the store under importKey(site, id). */
export interface SiteImport {
  /** `plausible-20240101-20241231`: the source and the days it covers, so the same export gets the same id. */
  id: string
  source: 'plausible' | 'goatcounter'
  /** The first and last site-local day it holds, YYYY-MM-DD. */
  from: string
  to: string
  /** The tables (Plausible) or files it was read from. */
  tables: string[]
  /** Data lines read. */
  lines: number
  /** When it was imported (ISO 8601). */
  at: string
  /**
   * Dimensions the import holds no value of, beyond what its source never has (lacks.ts): an
   * older export without the column or the table. Their breakdowns count only QuietCount's own
   * days, and say so.
   */
  lacks?: string[]
  /**
   * Per dimension (`total` for the day's totals), the counters the import holds no count of (an
   * older export without `pageviews`, Plausible's monthly visitors): a figure made of one is not
   * known (null) for a range that meets the import's days, never a sum that reads it as 0.
   */
  unknown?: Record<string, string[]>
}

/** Where an import's rows are kept in the store: a site id never holds a "/", so no site can meet it. */
export const importKey = (site: string, id: string) => `${site}/${id}`

/** The store keys of a site's imports, read and expired beside its own. */
export const importKeys = (site: Pick<Site, 'id' | 'imports'>) => (site.imports ?? []).map((i) => importKey(site.id, i.id))

export const IMPORT_ID = /^(plausible|goatcounter)-\d{8}-\d{8}$/

/** "Last 30 days" and the 30 days before it can be filtered freely. */
export const DEFAULT_DETAIL_DAYS = 62
/** The days of detail a site keeps. */
export const detailDaysOf = (site: Pick<Site, 'detailDays'>) => site.detailDays ?? DEFAULT_DETAIL_DAYS
/** 25 months of 30.4 days: CNIL's limit for the raw data of an audience measurement exempt from consent. */
export const MAX_DETAIL_DAYS = 760
/**
 * Ten years. Beyond that a limit is no limit (leave it absent), and a bound catches a number of
 * days typed where months are meant (760).
 */
export const MAX_MARGINAL_MONTHS = 120

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
  if (site.marginalMonths !== undefined && !(Number.isInteger(site.marginalMonths) && site.marginalMonths >= 1 && site.marginalMonths <= MAX_MARGINAL_MONTHS)) {
    return `marginal window ${JSON.stringify(site.marginalMonths)} of ${site.id} must be a whole number of months from 1 to ${MAX_MARGINAL_MONTHS}, or absent to keep marginals for ever`
  }
  for (const share of site.shares) {
    const problem = shareProblem(share, site.id)
    if (problem) return problem
  }
  for (const imported of site.imports ?? []) {
    if (!IMPORT_ID.test(imported?.id)) return `import ${JSON.stringify(imported?.id)} of ${site.id} must be named source-YYYYMMDD-YYYYMMDD, as quietcount import names it`
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

/**
 * What the bearer token in an Authorization header may read: a site id, '*' for every site, or
 * undefined when the header holds no token of this registry. One hash per request, whatever the
 * number of sites it is checked against.
 */
export function tokenScope(registry: Registry, authorization: string | undefined): string | undefined {
  // The scheme is case-insensitive (RFC 9110).
  const token = /^bearer +(\S+)$/i.exec(authorization ?? '')?.[1]
  if (!token) return undefined
  const hash = Buffer.from(hashToken(token), 'hex')
  // A hand-edited entry that is not a SHA-256 hash matches nothing (and must not throw).
  return registry.tokens.find((t) => HASH.test(t.hash) && timingSafeEqual(Buffer.from(t.hash, 'hex'), hash))?.site
}

export const mayRead = (scope: string, site: string) => scope === '*' || scope === site
