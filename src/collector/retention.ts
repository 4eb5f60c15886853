import { detailDaysOf, type Site } from './sites.js'
import type { Store } from './stores/store.js'
import { addDays, startHour, today } from './time-zone.js'

/**
 * The detail window's expiry: detail rows (whole tuples) older than a site's window are deleted,
 * by the collector every hour and by `quietcount prune`. The marginal tier stays.
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
