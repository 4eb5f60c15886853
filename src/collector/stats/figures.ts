import type { FilterName } from '../../shared/dimensions.js'
import { dayNumber } from '../sites/time-zone.js'
import type { QueryPart } from '../stores/store.js'
import { type DateRange, marginalParts } from './periods.js'
import { filtersOf, filterWords, metricSource, unavailable } from './plan.js'
import { type Counted, detailTable, type Reads, type Timed } from './reads.js'

/**
 * Which rows answer the top line and the chart of one kind of record over a range (plan.ts
 * decides the tier), and why they cannot when the detail tier is needed and cannot give them.
 */

/** The rows of one part of an answer (the top line or the chart), and what may keep it from being answered. */
export interface Reading {
  rows: Timed[]
  /** Whether the rows come from the detail tier, which cannot answer a range holding records counted without detail. */
  detail: boolean
  /** Whether the detail tier was needed and its window does not cover the range: nothing was asked. */
  blocked: boolean
  /** What to call this part in the sentence that says it cannot be answered. */
  what: string
}

/** The figures of one kind of record over a range: the top line's rows and the chart's. */
export interface Figures {
  totals: Reading
  chart: Reading
}

/** Asks the rows of the figures of pages or events over a range; with `series`, also those of the chart. */
export function figuresOf(reads: Reads, records: Counted, range: DateRange, series: boolean, label = 'The totals'): Figures {
  const { interval } = reads.query
  const filters = filtersOf(records, reads.query.filters)
  const what = `${label} under ${filterWords(filters)}`
  const chartWhat = `The ${interval === 'hour' ? 'hourly ' : ''}chart under ${filterWords(filters)}`
  const source = metricSource(filters)
  if (source.tier === 'detail') {
    const detail = detailReading(reads, records, range, filters)
    return { totals: { ...detail, what }, chart: { ...detail, what: chartWhat } }
  }
  // No filter or one: the marginal rows of `total` or of the filter's value. A daily chart reads
  // every day of the range; otherwise whole months come from the monthly roll-up.
  const parts: QueryPart[] = series && interval === 'day' ? [{ table: 'daily', from: dayNumber(range.from), to: dayNumber(range.to) + 1 }] : marginalParts(range, reads.local)
  const totals: Reading = { rows: parts.map((part) => reads.timed(part, source.filters)), detail: false, blocked: false, what }
  if (!series || interval !== 'hour') return { totals, chart: { ...totals, what: chartWhat } }
  // Marginals are daily: an hourly chart comes from the hourly totals, or under a filter from the detail tier.
  if (!filters.length) return { totals, chart: { rows: [reads.timed({ table: 'totals', ...reads.hours(range) }, {})], detail: false, blocked: false, what: chartWhat } }
  return { totals, chart: { ...detailReading(reads, records, range, filters), what: chartWhat } }
}

/** The detail tier's hourly rows of a kind of record under filters, when its window covers the range. */
function detailReading(reads: Reads, records: Counted, range: DateRange, filters: [FilterName, string][]): Omit<Reading, 'what'> {
  if (!reads.mayUseDetail(range)) return { rows: [], detail: true, blocked: true }
  return { rows: [reads.timed({ table: detailTable(records), ...reads.hours(range) }, Object.fromEntries(filters))], detail: true, blocked: false }
}

/** Why parts over a range cannot be answered (the first that cannot), or undefined when they all can; once the batch has run. */
export function whyUnanswered(reads: Reads, over: DateRange, readings: Reading[]): string | undefined {
  const { query, window } = reads
  for (const { blocked, detail, what } of readings) {
    if (blocked) return unavailable(what, query.site, over, window, 0)
    const lacking = detail ? reads.undetailed(over) : 0
    if (lacking) return unavailable(what, query.site, over, window, lacking)
  }
}
