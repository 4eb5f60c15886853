import { type BreakdownName, breakdown as breakdownSpec, dimension, type FilterName, type RecordKind } from '../../shared/dimensions.js'
import type { BreakdownRow, Bucket, Metrics, StatsResult } from '../../shared/stats-types.js'
import type { SiteImport } from '../sites/sites.js'
import { addDays } from '../sites/time-zone.js'
import type { StatsQuery } from './parse-query.js'
import { type DateRange, previousPeriod } from './periods.js'
import { filtersOf } from './plan.js'

/**
 * Figures an import cannot give (docs/import.md, "Older exports"). An import records, per
 * dimension, the counters its export had no count of (SiteImport.unknown): Plausible's older
 * exports have no page views by browser, none has monthly visitors. Its rows hold no such count,
 * so a sum over a range that meets its days would read it as 0, and a rate made of it (views per
 * visit) would be wrong. Such a figure is answered as null, "not known", instead.
 *
 * Imports hold marginal rows only, so only the parts answered from the marginals of one
 * dimension can meet them: the top line and the chart under no filter (`total`) or one, and a
 * breakdown of the filtered dimension or of one under it. A part that needs the detail tier
 * cannot be answered for imported days at all, and says so (plan.ts).
 */

/** The store counters each figure is made of. */
const METRICS: Record<keyof Metrics, readonly string[]> = {
  visitors: ['visitors_day'],
  monthly_visitors: ['visitors_month'],
  visits: ['visits'],
  pageviews: ['views'],
  views_per_visit: ['views', 'visits'],
  avg_engagement_seconds: ['seconds', 'views'],
  avg_scroll: ['scroll', 'views'],
  events: ['events'],
}
const ROWS: Partial<Record<keyof BreakdownRow, readonly string[]>> = {
  visitors: ['visitors_day'],
  visits: ['visits'],
  pageviews: ['views'],
  avg_engagement_seconds: ['seconds', 'views'],
  count: ['events'],
}
const BUCKETS: Partial<Record<keyof Bucket, readonly string[]>> = { visitors: ['visitors_day'], visits: ['visits'], pageviews: ['views'], events: ['events'] }

/** The counters not known for `dimension` over `range`: those of the imports whose days meet it. */
function unknownOver(imports: readonly SiteImport[], dimension: string, range: DateRange): Set<string> {
  return new Set(imports.filter((i) => i.from <= range.to && i.to >= range.from).flatMap((i) => i.unknown?.[dimension] ?? []))
}

/** Sets to null each figure of `figures` that is made of an unknown counter. */
function blank<T extends object>(figures: T, made: Partial<Record<keyof T, readonly string[]>>, unknown: Set<string>): void {
  if (!unknown.size) return
  for (const [figure, counters] of Object.entries(made) as [keyof T, readonly string[]][])
    if (figures[figure] !== undefined && counters.some((c) => unknown.has(c))) (figures as Record<keyof T, unknown>)[figure] = null
}

/** The dimension whose marginal rows answer figures of `records` under `filters`: `total`, the filter's, or none (the detail tier). */
function marginalDimension(records: RecordKind, filters: StatsQuery['filters']): string | undefined {
  const narrowing = filtersOf(records, filters)
  return narrowing.length === 0 ? 'total' : narrowing.length === 1 ? narrowing[0]![0] : undefined
}

/** The dimension whose marginal rows answer a breakdown under `filters`, or none (the detail tier, or consents, which no import has). */
function breakdownDimension(name: BreakdownName, filters: StatsQuery['filters']): { records: RecordKind; dimension: string } | undefined {
  const spec = breakdownSpec(name)
  const records = dimension(spec.dimension).records[0] as RecordKind
  if (records === 'consents') return undefined
  const narrowing: [FilterName, string][] = filtersOf(records, filters)
  const [only] = narrowing
  if (narrowing.length === 0 || (narrowing.length === 1 && (only![0] === spec.dimension || only![0] === dimension(spec.dimension).parent)))
    return { records, dimension: spec.dimension }
  return undefined
}

/** The days a bucket of the chart covers: `2024-01-05`, `2024-01-05T13`, or the month `2024-01`. */
function daysOf(bucket: string): DateRange {
  if (bucket.length !== 7) return { from: bucket.slice(0, 10), to: bucket.slice(0, 10) }
  const [year, month] = bucket.split('-').map(Number) as [number, number]
  const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`
  return { from: `${bucket}-01`, to: addDays(next, -1) }
}

/** Answers as null every figure of `result` that is made of a count an import in its range does not have. */
export function blankUnknowns(result: StatsResult, query: StatsQuery): void {
  const imports = (query.imports ?? []).filter((i) => i.unknown)
  if (!imports.length) return
  const pages = marginalDimension('pages', query.filters)
  const events = marginalDimension('events', query.filters)
  const metrics = (figures: Metrics, range: DateRange) => {
    const { events: _events, ...ofPages } = METRICS
    if (pages) blank(figures, ofPages, unknownOver(imports, pages, range))
    if (events) blank(figures, { events: METRICS.events }, unknownOver(imports, events, range))
  }
  if (result.metrics) metrics(result.metrics, query)
  if (result.previous?.metrics) metrics(result.previous.metrics, previousPeriod(query))
  for (const bucket of result.timeseries ?? []) {
    const days = daysOf(bucket.bucket)
    const { events: _events, ...ofPages } = BUCKETS
    if (pages) blank(bucket, ofPages, unknownOver(imports, pages, days))
    if (events) blank(bucket, { events: BUCKETS.events }, unknownOver(imports, events, days))
  }
  for (const [name, part] of Object.entries(result.breakdowns ?? {}) as [BreakdownName, { rows: BreakdownRow[] }][]) {
    const read = breakdownDimension(name, query.filters)
    if (!read) continue
    const unknown = unknownOver(imports, read.dimension, query)
    for (const row of part.rows) blank(row, ROWS, unknown)
  }
}
