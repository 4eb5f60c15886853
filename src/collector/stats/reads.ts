import { TABLES, type Table } from '../schema.js'
import { importKeys } from '../sites/sites.js'
import { today } from '../sites/time-zone.js'
import type { AggregateQuery, AggregateRow, QueryPart, Store } from '../stores/store.js'
import { queryBatch } from './batch.js'
import { n } from './metrics.js'
import type { StatsQuery } from './parse-query.js'
import { type DateRange, hoursOf } from './periods.js'
import { covers, detailWindow, type Window } from './plan.js'

/**
 * What the parts of an owner's answer share (run.ts): the query and its range, the site's detail
 * window, and one batch of store queries. Every part asks what it needs before the batch runs,
 * and reads its rows after; identical queries are asked once.
 */

/** The records of the top line, the chart and most breakdowns (consent decisions are counted apart). */
export type Counted = 'pages' | 'events'

/** Rows of one unit of time, whose sums are figures and whose times are buckets of the chart. */
export interface Timed {
  unit: 'hour' | 'day' | 'month'
  rows: () => AggregateRow[]
}

export interface Reads {
  query: StatsQuery
  /** The query's range of local days. */
  range: DateRange
  /** The site's local date at the query's instant. */
  local: string
  window: Window
  /** Adds a store query to the batch; returns how to read its rows once `run` has run. */
  ask(wanted: AggregateQuery): () => AggregateRow[]
  /** The sums of one part of a table under filters, by time. */
  timed(part: QueryPart, filters: Record<string, string>): Timed
  /** The UTC hours of a range (two walks through the time zone's hours), worked out once per range. */
  hours(range: DateRange): { from: number; to: number }
  /** Whether the detail window covers a range; when it does, also asks how many of its records were counted without detail. */
  mayUseDetail(range: DateRange): boolean
  /** The records of a range counted without detail (0 unless mayUseDetail asked): the detail tier answers a range only without any. */
  undetailed(range: DateRange): number
  /** Sends the batch to the store. */
  run(): Promise<void>
}

/** The detail table of a kind of record. */
export const detailTable = (records: Counted): Table => (records === 'pages' ? 'detail_pages' : 'detail_events')

/** All rows of several timed parts, once the batch has run. */
export const rowsOf = (list: Timed[]) => list.flatMap((t) => t.rows())

export async function readsOf(store: Store, query: StatsQuery): Promise<Reads> {
  const { site, timezone } = query
  const local = today(timezone, query.now)
  const window = await detailWindow(store, query)
  const batch = queryBatch(store)
  // An import's rows are marginal rows under keys of their own, read beside the site's.
  const keys = importKeys({ id: site, imports: query.imports ? [...query.imports] : [] })
  const ask = (wanted: AggregateQuery) => batch.ask(keys.length && wanted.parts.every((p) => TABLES[p.table].tier === 'marginal') ? { ...wanted, imports: keys } : wanted)

  const hourRanges = new Map<string, { from: number; to: number }>()
  const hours = (r: DateRange) => {
    let held = hourRanges.get(r.from + r.to)
    if (!held) hourRanges.set(r.from + r.to, (held = hoursOf(r, timezone)))
    return held
  }
  const undetailedOf = new Map<string, () => AggregateRow[]>()
  return {
    query,
    range: { from: query.from, to: query.to },
    local,
    window,
    ask,
    timed: (part, filters) => ({ unit: TABLES[part.table].time, rows: ask({ site, parts: [part], filters, groupBy: ['time'] }) }),
    hours,
    mayUseDetail(range) {
      const within = hours(range)
      if (!covers(window, within)) return false
      undetailedOf.set(range.from + range.to, ask({ site, parts: [{ table: 'totals', ...within }] }))
      return true
    },
    undetailed: (range) => n(undetailedOf.get(range.from + range.to)?.()[0]?.undetailed),
    run: () => batch.run(),
  }
}
