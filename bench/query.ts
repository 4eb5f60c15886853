import { expireDetail } from '../src/collector/retention.js'
import type { Site } from '../src/collector/sites/sites.js'
import { today } from '../src/collector/sites/time-zone.js'
import { answerStats } from '../src/collector/stats/answer.js'
import { parseStatsQuery } from '../src/collector/stats/parse-query.js'
import type { Store } from '../src/collector/stores/store.js'
import { BREAKDOWN_NAMES } from '../src/shared/dimensions.js'
import { median, round } from './machine.js'
import { datesUpTo, drawnDay, ingestedDay, MODEL, SITE, viewsOfDay } from './traffic.js'

/**
 * Query latency on a year of a site with real cardinality (traffic.ts), at two volumes. The
 * detail window's days go through ingest where the volume allows it (1 M page views a month);
 * every other day, and every day at 100 M, is drawn per dimension and written as ingest writes
 * marginal rows. A dashboard view is what the dashboard asks: two requests at once, the top line
 * with the previous period and the chart, and every panel (limit 10).
 */

export const DETAIL_DAYS = 62
export const SCALES = {
  '1 M page views/month': { perMonth: 1_000_000, detail: true },
  '100 M page views/month': { perMonth: 100_000_000, detail: false },
} as const
export type Scale = keyof typeof SCALES

export interface Seeded {
  /** Page views written, rows written, and how they were made. */
  pageviews: number
  rows: number
  ingestedDays: number
  drawnDays: number
  seconds: number
}

/**
 * Writes `days` days up to today into every store (the same rows to each), oldest first; calls
 * `after(day, rows)` after each day so that a caller can copy some days elsewhere. The last
 * `ingestedDays` days go through ingest; then the window is expired as the collector does.
 */
export async function seedYear(
  stores: Store[],
  scale: Scale,
  days: number,
  ingestedDays: number,
  after?: (index: number, rows: Awaited<ReturnType<typeof ingestedDay>>['rows']) => Promise<void>,
): Promise<Seeded> {
  const { perMonth } = SCALES[scale]
  const started = Date.now()
  const seeded: Seeded = { pageviews: 0, rows: 0, ingestedDays: 0, drawnDays: 0, seconds: 0 }
  const dates = datesUpTo(today(SITE.timezone), days)
  for (const [index, date] of dates.entries()) {
    const views = viewsOfDay(perMonth, index)
    const ingest = index >= days - ingestedDays
    const { rows, pageviews } = ingest ? ingestedDay(date, views, 1000 + index, DETAIL_DAYS) : drawnDay(date, views, 1000 + index)
    for (let i = 0; i < rows.length; i += 5000) await Promise.all(stores.map((store) => store.write(rows.slice(i, i + 5000))))
    await after?.(index, rows)
    seeded.pageviews += pageviews
    seeded.rows += rows.length
    if (ingest) seeded.ingestedDays++
    else seeded.drawnDays++
  }
  for (const store of stores) await expireDetail(store, [benchSite(scale)])
  seeded.seconds = round((Date.now() - started) / 1000, 1)
  return seeded
}

export const benchSite = (scale: Scale): Site => ({ id: SITE.id, origins: [], timezone: SITE.timezone, shares: [], detailDays: SCALES[scale].detail ? DETAIL_DAYS : 0 })

/** The two requests of a dashboard view, as URL parameters. */
export const viewRequests = (range: string) => [`${range}&include=metrics,timeseries&compare=previous`, `${range}&include=none&breakdown=${BREAKDOWN_NAMES.join(',')}&limit=10`]

/** A site's stats for API query parameters, as the API answers them: parsed, checked (k-anonymity) and run. */
export async function statsOf(store: Store, site: Site, params: string) {
  const parsed = parseStatsQuery(new URLSearchParams(params), site)
  if (!parsed.ok) throw new Error(parsed.error.message)
  const answer = await answerStats(store, parsed.query)
  if (!answer.ok) throw new Error(answer.error.message)
  return { query: parsed.query, result: answer.result }
}

/** The most viewed page, and a typical one (the 20th), to filter by. */
export const PAGES = { top: MODEL.path.values[0]!, typical: MODEL.path.values[19]! }

/**
 * Milliseconds of one dashboard view (median of `runs`, after a warm-up), and whether any part said
 * it cannot be answered. `site` is the scale's bench site unless given: an imported site carries its
 * import records, without which the stats would not read the import's key.
 */
export async function timeView(store: Store, scale: Scale, range: string, runs: number, site: Site = benchSite(scale)): Promise<{ ms: number; unavailable: number }> {
  const times: number[] = []
  let unavailable = 0
  for (let run = 0; run <= runs; run++) {
    const started = performance.now()
    const results = await Promise.all(viewRequests(range).map(async (params) => (await statsOf(store, site, params)).result))
    if (run > 0) times.push(performance.now() - started) // the first run warms caches
    unavailable = results.reduce((n, r) => n + Object.keys(r.unavailable ?? {}).length + Object.values(r.breakdowns ?? {}).filter((b) => b.unavailable).length, 0)
  }
  return { ms: round(median(times), 1), unavailable }
}
