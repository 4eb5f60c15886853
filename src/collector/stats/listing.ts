import type { BreakdownSpec, RecordKind } from '../../shared/dimensions.js'
import type { BreakdownRow } from '../../shared/stats-types.js'
import { TABLES } from '../schema.js'
import type { AggregateRow, QueryPart } from '../stores/store.js'
import { weightOf } from './k-anonymity.js'
import { n, ratio, sum } from './metrics.js'
import type { Reads } from './reads.js'

/**
 * The rows a breakdown lists: the `limit` heaviest whose weight is k or more (k-anonymity.ts), and
 * "(other)", the sum of those under k, when there are any.
 */

/** The counters of page records: a page breakdown lists the values that have some. */
const PAGE_COUNTERS = [...TABLES.detail_pages.counters]
/** The counter of a breakdown row's `count`, by kind of record. */
const COUNTED = { events: 'events', consents: 'decisions' } as const

/** What a breakdown sums: the rows of `parts` matching `filters`, grouped by `groupBy` (the value last, its parent first). */
export interface Grouping {
  parts: QueryPart[]
  filters: Record<string, string>
  groupBy: string[]
}

/** Asks the store for a breakdown's rows, folded under k there; returns them as breakdown rows once the batch has run. */
export function listed(reads: Reads, spec: BreakdownSpec, records: RecordKind, { parts, filters, groupBy }: Grouping): () => BreakdownRow[] {
  const { site, k, limit } = reads.query
  // A breakdown of nonZero rows (entry pages) lists none of weight 0, not even in "(other)".
  const least = spec.nonZero ? 1 : undefined
  const base = { site, parts, filters, groupBy, weight: spec.weight, ...(records === 'pages' && { counted: PAGE_COUNTERS }) }
  const rows = reads.ask({ ...base, limit, ...((k || least) && { min: Math.max(k, least ?? 0) }) })
  const folded = k ? reads.ask({ ...base, below: k, ...(least && { min: least }), fold: true }) : undefined
  return () => [...rows().map((group) => breakdownRow(group, groupBy, records)), ...otherRows(folded?.()[0], records)]
}

/** The same for event rows ranked here rather than by the store (event properties unpacked from the detail tier). */
export function listedRanked(ranked: AggregateRow[], spec: BreakdownSpec, { k, limit }: { k: number; limit: number }): BreakdownRow[] {
  const shown = ranked.filter((row) => weightOf(row, spec.weight) >= k)
  const folded = ranked.filter((row) => weightOf(row, spec.weight) < k)
  return [
    ...shown.slice(0, limit).map((group) => breakdownRow(group, ['parent', 'value'], 'events')),
    ...otherRows(folded.length ? { events: sum(folded, 'events'), folded: folded.length } : undefined, 'events'),
  ]
}

/** A breakdown row from a group: its value (and the value it belongs to), and its figures. */
export function breakdownRow(group: AggregateRow, groupBy: string[], records: RecordKind): BreakdownRow {
  const row: BreakdownRow = { value: String(group[groupBy.at(-1)!]) }
  if (groupBy.length === 2) row.parent = String(group[groupBy[0]!])
  if (records !== 'pages') return { ...row, count: n(group[COUNTED[records]]) }
  return { ...row, visitors: n(group.visitors_day), visits: n(group.visits), pageviews: n(group.views), avg_engagement_seconds: ratio(n(group.seconds), n(group.views), 1) }
}

/** "(other)": the rows folded under k-anonymity, added up; none when nothing was folded. */
function otherRows(fold: AggregateRow | undefined, records: RecordKind): BreakdownRow[] {
  if (!fold || !n(fold.folded)) return []
  if (records !== 'pages') return [{ value: '(other)', count: n(fold[COUNTED[records]]) }]
  return [{ value: '(other)', visitors: n(fold.visitors_day), visits: n(fold.visits), pageviews: n(fold.views) }]
}
