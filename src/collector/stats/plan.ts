import { type BreakdownSpec, dimension, type FilterName, type RecordKind } from '../../shared/dimensions.js'
import type { DetailWindow } from '../../shared/stats-types.js'
import { detailStart } from '../retention.js'
import { TOTAL } from '../schema.js'
import { DEFAULT_DETAIL_DAYS, MAX_DETAIL_DAYS } from '../sites/sites.js'
import { addDays, localTime, startHour, today } from '../sites/time-zone.js'
import type { Store } from '../stores/store.js'
import type { DateRange } from './periods.js'

/**
 * Which tier answers what (docs/architecture.md, "Two tiers"):
 * - no filter: the marginal `total` rows (an hourly chart: the hourly totals) and the marginal
 *   rows of each breakdown's dimension, any range;
 * - one filter D = v: the top line and the chart from the marginal rows of D = v, any range; a
 *   breakdown of D itself, or of a dimension under D (browser versions under a browser, event
 *   properties under an event), from the marginals too; any other breakdown from the detail tier;
 * - several filters: the detail tier only.
 * The detail tier answers a range only when all of it lies inside the site's detail window and
 * every record of it was counted with its detail; otherwise the answer says so.
 */

type Filters = Partial<Record<FilterName, string>>

/** The filters that narrow a kind of record: page-only dimensions (referrer, campaign) do not narrow events, nor an event name page views. */
export function filtersOf(records: RecordKind, filters: Filters): [FilterName, string][] {
  return (Object.entries(filters) as [FilterName, string][]).filter(([name]) => (dimension(name).records as readonly RecordKind[]).includes(records))
}

/** Where a figure comes from: the marginal rows matching `filters`, or the detail tier. */
export type Source = { tier: 'marginal'; filters: Record<string, string> } | { tier: 'detail' }

/** The source of the top line and chart of a kind of record under its filters. */
export function metricSource(filters: [FilterName, string][]): Source {
  if (!filters.length) return { tier: 'marginal', filters: TOTAL }
  if (filters.length === 1) return { tier: 'marginal', filters: { dimension: filters[0]![0], parent: '', value: filters[0]![1] } }
  return { tier: 'detail' }
}

/** The source of a breakdown under the filters that narrow its records. */
export function breakdownSource(spec: BreakdownSpec, filters: [FilterName, string][]): Source {
  const { parent } = dimension(spec.dimension)
  if (!filters.length) return { tier: 'marginal', filters: { dimension: spec.dimension, ...(!parent && { parent: '' }) } }
  if (filters.length === 1) {
    const [name, value] = filters[0]!
    if (name === spec.dimension) return { tier: 'marginal', filters: { dimension: name, parent: '', value } }
    if (name === parent) return { tier: 'marginal', filters: { dimension: spec.dimension, parent: value } }
  }
  return { tier: 'detail' }
}

export interface Window extends DetailWindow {
  /** The first UTC hour the detail tier answers for (Infinity: none). */
  start: number
}

/**
 * The site's detail window at the query's instant: its days, today included, but never before
 * the hour up to which detail was expired (the window may have been raised since).
 */
export async function detailWindow(store: Store, query: { site: string; timezone: string; detailDays: number; now: number }): Promise<Window> {
  const { timezone, detailDays: days } = query
  const local = today(timezone, query.now)
  const policy = days > 0 ? detailStart({ timezone, detailDays: days }, query.now) : Infinity
  const start = Math.max(policy, await store.detailCutoff(query.site))
  if (!Number.isFinite(start)) return { days, start, from: null }
  let from = localTime(start * 3_600_000, timezone).date
  if (startHour(from, timezone) < start) from = addDays(from, 1)
  return { days, start, from: from > local ? null : from }
}

/** Whether a range lies inside the detail window (that no record of it was counted without detail is checked on the range's totals). */
export const covers = (window: Window, hours: { from: number }) => hours.from >= window.start

/** The sentence of an answer the detail tier cannot give: what needed it, why, and what to do. */
export function unavailable(what: string, site: string, range: DateRange, window: Window, undetailed: number): string {
  const raise = `quietcount sites set ${site} --detail-days N (at most ${MAX_DETAIL_DAYS})`
  if (window.days === 0)
    return `${what} need the detail tier, which this site does not keep (its detail window is 0 days); to keep it from now on: quietcount sites set ${site} --detail-days ${DEFAULT_DETAIL_DAYS}.`
  if (window.from === null || range.from < window.from) {
    const held = window.from === null ? 'holds no day yet' : `holds the days from ${window.from}`
    return `${what} need the detail tier, which keeps ${window.days} days and ${held}; this range starts ${range.from}. Choose a range inside it, or at most one filter; to keep detail longer: ${raise}.`
  }
  if (undetailed)
    return `${what} need the detail tier, which lacks part of this range (counts imported, or counted while the site kept no detail); choose a later range, or at most one filter.`
  return `${what} need the detail tier, which cannot answer this range.`
}

/** "the filter path:/a" or "the filters path:/a and country:ES", for sentences. */
export const filterWords = (filters: [string, string][]) =>
  `the filter${filters.length > 1 ? 's' : ''} ${filters.map(([name, value]) => `${name}:${value}`).join(filters.length > 2 ? ', ' : ' and ')}`
