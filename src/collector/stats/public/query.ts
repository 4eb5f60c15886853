import type { FilterName } from '../../../shared/dimensions.js'
import type { StatsError } from '../../../shared/stats-types.js'
import type { ShareLink, Site } from '../../sites/sites.js'
import { addDays, today } from '../../sites/time-zone.js'
import { parseStatsQuery, type StatsQuery } from '../parse-query.js'
import { type DateRange, daysBetween, periodRange } from '../periods.js'
import { familiesOfPanel } from './release.js'

/**
 * What a share link may be asked. Its privacy guarantee holds against any combination of these
 * questions because each is bounded:
 * - **complete days only**: a day that is still being counted would change under the same noise,
 *   and two answers a minute apart would differ by exactly what was counted between them; so
 *   every range ends at the last complete day of the site's time zone (complete an hour after it
 *   ends, SETTLE_MS), and `today` is refused;
 * - **days and months**: no hourly chart (hours would be cells of their own);
 * - **named periods, or whole months** (`from` the 1st, `to` the last day of an ended month, at
 *   most 3 years): so that a given day belongs to a bounded number of ranges (RANGES_PER_DAY),
 *   over which the threshold of a row is set;
 * - **one filter at most**, on a dimension of the link's panels: its answer is a sum of the
 *   link's cells, never a cell of two dimensions.
 */

/**
 * How long after its end a day counts as complete: the last group commits of the day, and the
 * spool of a short store outage, have landed by then.
 */
export const SETTLE_MS = 3_600_000

/**
 * The most ranges the rules above allow that contain one given day, over all the days anyone
 * may ask them on: yesterday 1, 7d 7, 30d 30, month 31, last-month 1, 12mo 366 (each ends on
 * a different day), and whole months m1…m2 around the day's month within 36 months, 666.
 * test/collector/public-view.test.ts enumerates them.
 */
export const RANGES_PER_DAY = 1 + 7 + 30 + 31 + 1 + 366 + 666

export interface PublicQuery extends StatsQuery {
  interval: 'day' | 'month'
  link: ShareLink
}

const fail = (field: string, rule: string, value?: string) => ({
  ok: false as const,
  error: { field, rule, message: `${field}: ${rule}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}` } satisfies StatsError,
})

/** Whether `date` is the last day of its month. */
const endsMonth = (date: string) => addDays(date, 1).endsWith('-01')

/**
 * A named period of complete days: the last 7 or 30 days and 12 months end yesterday; this
 * month holds its days before today, and is empty on its first day.
 */
function completeDays(period: 'yesterday' | '7d' | '30d' | 'month' | 'last-month' | '12mo', now: string): DateRange {
  const last = addDays(now, -1)
  if (period === 'yesterday') return { from: last, to: last }
  if (period === 'month') return { from: `${now.slice(0, 8)}01`, to: last }
  return periodRange(period, period === 'last-month' ? now : last)
}

/** Reads a share link's query: the stats API's parameters within the link's bounds (above), or the first one out of them. */
export function parsePublicQuery(params: URLSearchParams, site: Site, link: ShareLink, now = Date.now()): { ok: true; query: PublicQuery } | ReturnType<typeof fail> {
  if (params.has('k')) return fail('k', 'is not a parameter of share links: their figures are made private with noise, not by folding rows')
  const parsed = parseStatsQuery(params, site, now)
  if (!parsed.ok) return parsed
  // "Today" for a share link is the day an hour ago: yesterday is complete once an hour has passed.
  const local = today(site.timezone, now - SETTLE_MS)
  const last = addDays(local, -1)
  const period = params.get('period') ?? (params.has('from') ? 'custom' : '30d')
  if (period === 'today') return fail('period', 'today is still being counted; a shared view shows complete days (yesterday, 7d, 30d, month, last-month, 12mo, custom)', period)
  if (period === 'custom' && !(parsed.query.from.endsWith('-01') && endsMonth(parsed.query.to) && parsed.query.to <= last)) {
    return fail(
      'to',
      `a shared view takes whole months that have ended: from the 1st of a month to the last day of a month up to ${last}`,
      `${parsed.query.from} to ${parsed.query.to}`,
    )
  }
  const range = period === 'custom' ? parsed.query : completeDays(period as Parameters<typeof completeDays>[0], local)
  if (range.to < range.from) return fail('period', `has no complete day yet (the last is ${last})`, period)
  const query = { ...parsed.query, ...range }
  const days = daysBetween(query.from, query.to)
  const interval = params.get('interval') ?? (days <= 92 ? 'day' : 'month')
  if (interval !== 'day' && interval !== 'month') return fail('interval', 'must be day or month on a share link (an hour would single out its few page views)', interval)
  const filters = Object.keys(query.filters) as FilterName[]
  if (filters.length > 1) return fail('filter', 'a share link takes one filter at most', params.getAll('filter').join('&'))
  const shown = link.panels.flatMap(familiesOfPanel)
  if (filters[0] && !shown.includes(filters[0])) return fail('filter', `must be on a dimension this link shows (${[...new Set(shown)].join(', ')})`, filters[0])
  return { ok: true, query: { ...query, interval, k: 0, link } }
}
