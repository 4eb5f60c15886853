import { detailDaysOf, importKeys, type Site } from './sites/sites.js'
import { addDays, dayNumber, monthNumber, monthOfNumber, startHour, today } from './sites/time-zone.js'
import type { Store } from './stores/store.js'

/**
 * The windows' expiry, by the collector every hour and by `quietcount prune`: detail rows (whole
 * tuples) older than a site's detail window are deleted, and, for a site that limits them,
 * marginal rows older than its marginal window. Without a limit the marginal tier stays.
 */

/** The first UTC hour a site keeps detail for at `now`: the start of the window's first local day (for a 0-day window, of tomorrow: nothing). */
export function detailStart(site: Pick<Site, 'timezone' | 'detailDays'>, now: number): number {
  const days = detailDaysOf(site)
  return startHour(addDays(today(site.timezone, now), days > 0 ? 1 - days : 1), site.timezone)
}

export interface Expired {
  site: string
  /** Detail before this hour is gone. */
  before: number
  deleted: number
}

/**
 * Expires the detail of every site the store holds: a registered site by its own window, a site
 * no longer registered by the default window in UTC (its counts stay, its detail does not).
 */
export async function expireDetail(store: Store, sites: readonly Site[], now = Date.now()): Promise<Expired[]> {
  const registered = new Map(sites.map((site) => [site.id, site]))
  const ids = new Set([...registered.keys(), ...(await store.sites())])
  const expired: Expired[] = []
  for (const id of ids) {
    const before = detailStart(registered.get(id) ?? { timezone: 'UTC' }, now)
    expired.push({ site: id, before, deleted: await store.expireDetail(id, before) })
  }
  return expired
}

/** The first period of each marginal table a site keeps: Store.expireMarginals' bounds. */
export interface MarginalStart {
  /** The first UTC hour of `totals` kept: the start of the first kept month's first local day. */
  hour: number
  /** The first site-local day of `daily` kept, the first kept month's first day (dayNumber). */
  day: number
  /** The first site-local month of `monthly` kept (monthNumber). */
  month: number
}

/**
 * Where a site's marginal window starts at `now`, in whole site-local months: with N months, the
 * current month and the N − 1 before it; undefined for a site that keeps marginals for ever.
 */
export function marginalStart(site: Pick<Site, 'timezone' | 'marginalMonths'>, now: number): MarginalStart | undefined {
  if (site.marginalMonths === undefined) return undefined
  const month = monthNumber(today(site.timezone, now)) - (site.marginalMonths - 1)
  const first = `${monthOfNumber(month)}-01`
  return { hour: startHour(first, site.timezone), day: dayNumber(first), month }
}

export interface ExpiredMarginals {
  site: string
  /** Marginal rows before these periods are gone. */
  before: MarginalStart
  deleted: number
}

/**
 * Expires the marginals of every registered site that limits them. A site without a limit, or
 * no longer registered, keeps them: unlike detail, no default window applies to marginals.
 */
export async function expireMarginals(store: Store, sites: readonly Site[], now = Date.now()): Promise<ExpiredMarginals[]> {
  const expired: ExpiredMarginals[] = []
  for (const site of sites) {
    const before = marginalStart(site, now)
    if (!before) continue
    // An import's rows are the site's too (kept under keys of their own), so the limit is theirs.
    let deleted = 0
    for (const key of [site.id, ...importKeys(site)]) deleted += await store.expireMarginals(key, before)
    expired.push({ site: site.id, before, deleted })
  }
  return expired
}

/**
 * The collector's expiry: expireDetail then expireMarginals for the registry's sites, now and
 * then every `everyMs` (0: never by itself; `quietcount prune` does it), one run at a time. A
 * failure is logged, and a failure of one tier does not keep the other.
 *
 * @example
 * const expiry = scheduleExpiry(store, registryFile('quietcount.json'), 3_600_000)
 * await expiry.expire() // now, after any run under way
 * await expiry.stop() // before closing the store
 */
export function scheduleExpiry(store: Store, registry: { read(): { sites: readonly Site[] } }, everyMs: number) {
  let expiring: Promise<void> = Promise.resolve()
  const expire = () =>
    (expiring = expiring.then(async () => {
      await logged('detail', () => expireDetail(store, registry.read().sites))
      await logged('marginals', () => expireMarginals(store, registry.read().sites))
    }))
  const timer = everyMs === 0 ? undefined : setInterval(expire, everyMs)
  timer?.unref()
  if (timer) void expire()
  return {
    expire,
    /** Stops the timer and waits for the run under way. */
    async stop() {
      clearInterval(timer)
      await expiring
    },
  }
}

const logged = async (what: string, work: () => Promise<unknown>) => {
  try {
    await work()
  } catch (failure) {
    console.error(`quietcount: expiring old ${what} failed: ${failure instanceof Error ? failure.message : String(failure)}`)
  }
}
