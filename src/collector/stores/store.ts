import { type Counter, type Dimension, type Row, type Table } from '../rows.js'

/**
 * What the stats model asks a store: the sums of a table's counters over a site and a range of
 * hours, with equality filters, grouped by some dimensions and/or the hour. Every store answers
 * it the same way, which the conformance suite checks to the unit.
 */
export interface AggregateQuery<T extends Table = Table> {
  table: T
  site: string
  /** First hour included (hours since the epoch, UTC). */
  from: number
  /** First hour excluded. */
  to: number
  filters?: Partial<Record<Dimension<T>, string>>
  groupBy?: (Dimension<T> | 'hour')[]
}

/** One group: the grouped columns (hour as a number) and the summed counters. */
export type AggregateRow = Record<string, string | number>

export interface Store {
  /** Creates or upgrades the schema; versioned and idempotent. */
  migrate(): Promise<void>
  /** Adds the rows' counts, in one transaction: when it resolves, the counts are durable. */
  write(rows: Row[]): Promise<void>
  query<T extends Table>(query: AggregateQuery<T>): Promise<AggregateRow[]>
  close(): Promise<void>
}

export type { Counter }
