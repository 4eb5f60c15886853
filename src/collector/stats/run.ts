import type { BreakdownName } from '../../shared/dimensions.js'
import type { BreakdownResult, StatsResult } from '../../shared/stats-types.js'
import { importLacks } from '../imports/lacks.js'
import type { Store } from '../stores/store.js'
import { breakdownOf } from './breakdowns.js'
import { type Figures, figuresOf, whyUnanswered } from './figures.js'
import { metricsOf } from './metrics.js'
import type { StatsQuery } from './parse-query.js'
import { type DateRange, previousPeriod } from './periods.js'
import { type Counted, type Reads, readsOf, rowsOf } from './reads.js'
import { timeseries } from './series.js'
import { blankUnknowns } from './unknown.js'

/**
 * Runs a validated stats query against a store: asks the store for exactly the sums the query
 * names (plan.ts decides from which tier), in one batch, and computes the answer from them. All
 * arithmetic (ratios, buckets in the site's time zone, "(other)") happens here and in the parts
 * it calls, once, so every store gives the same figures to the unit. It does not check the query
 * against k-anonymity: answerStats (answer.ts) does, then calls it.
 */
export async function runStats(store: Store, query: StatsQuery): Promise<StatsResult> {
  const reads = await readsOf(store, query)
  const asked = askAll(reads)
  await reads.run()
  return answerOf(reads, asked)
}

/** Figures of pages and of events. */
type PerKind = Record<Counted, Figures>

/** What an answer asked of the batch, each part to be read once it has run. */
interface Asked {
  current?: PerKind
  previous?: { range: DateRange; figures: PerKind }
  breakdowns: (readonly [BreakdownName, () => BreakdownResult])[]
}

/** Asks every store query of the answer, in the order of its parts: the top line and chart, the previous period, each breakdown. */
function askAll(reads: Reads): Asked {
  const { query, range } = reads
  const perKind = (figures: (records: Counted) => Figures): PerKind => ({ pages: figures('pages'), events: figures('events') })
  const previous = query.compare ? previousPeriod(range) : undefined
  return {
    ...((query.metrics || query.timeseries) && { current: perKind((records) => figuresOf(reads, records, range, query.timeseries)) }),
    ...(previous && { previous: { range: previous, figures: perKind((records) => figuresOf(reads, records, previous, false, "The previous period's totals")) } }),
    breakdowns: query.breakdowns.map((name) => [name, breakdownOf(reads, name)] as const),
  }
}

/** The answer from the batch's rows; a part the range cannot answer is left out and says why in `unavailable`. */
function answerOf(reads: Reads, { current, previous, breakdowns }: Asked): StatsResult {
  const { query } = reads
  const result = headOf(reads)
  const notAnswered: NonNullable<StatsResult['unavailable']> = {}
  const totalsOf = (figures: PerKind) => metricsOf(rowsOf(figures.pages.totals.rows), rowsOf(figures.events.totals.rows))
  if (current && query.metrics) {
    const why = whyUnanswered(reads, reads.range, [current.pages.totals, current.events.totals])
    if (why) notAnswered.metrics = why
    else result.metrics = totalsOf(current)
  }
  if (previous) {
    const why = whyUnanswered(reads, previous.range, [previous.figures.pages.totals, previous.figures.events.totals])
    result.previous = { ...previous.range, ...(!why && { metrics: totalsOf(previous.figures) }) }
    if (why) notAnswered.previous = why
  }
  if (current && query.timeseries) {
    const why = whyUnanswered(reads, reads.range, [current.pages.chart, current.events.chart])
    if (why) notAnswered.timeseries = why
    else result.timeseries = timeseries(query, current.pages.chart.rows, current.events.chart.rows)
  }
  if (breakdowns.length) result.breakdowns = Object.fromEntries(breakdowns.map(([name, answer]) => [name, answer()]))
  if (Object.keys(notAnswered).length) result.unavailable = notAnswered
  blankUnknowns(result, query)
  return result
}

/** What every answer starts with: the query it answers, the detail window, and the imports that meet its range. */
function headOf({ query, window }: Reads): StatsResult {
  const { site, timezone, from, to, interval, filters } = query
  const head: StatsResult = { site, timezone, from, to, interval, filters, detail: { days: window.days, from: window.from } }
  const imported = (query.imports ?? []).filter((i) => i.from <= to && i.to >= from)
  if (imported.length) head.imported = imported.map((i) => ({ source: i.source, from: i.from, to: i.to, lacks: importLacks(i) }))
  return head
}
