import type { Weight } from '../../shared/dimensions.js'
import type { Row, Table } from '../schema.js'

/** A range of one table: `from` included, `to` excluded, in the table's time unit (hours, days or months). */
export interface QueryPart {
  table: Table
  from: number
  to: number
}

/**
 * What the stats model asks a store: the sums of a table's counters over a site and a range,
 * with equality filters, grouped by some columns or by time, and for breakdowns ordered by a
 * weight and cut to the groups asked for. Every store answers it the same way, which the
 * conformance suite checks to the unit against a plain-JavaScript reference.
 */
export interface AggregateQuery {
  site: string
  /**
   * Other keys whose rows count as the site's: its imports, kept under `site/import-id`
   * (imports/run-import.ts). Only marginal tables hold them.
   */
  imports?: readonly string[]
  /**
   * Where to read. Several parts of the same shape are added together: a range of marginals is
   * its whole months from `monthly` and its edge days from `daily`. Grouping by `time` takes one part.
   */
  parts: QueryPart[]
  filters?: Record<string, string>
  /** Columns of the parts' table to group by, or `time` (then returned as `time`). */
  groupBy?: string[]
  /**
   * Orders the groups heaviest first by this weight, then by more page views, then by the group
   * values in byte (code point) order; `min` and `below` keep the groups whose weight is at least
   * or below a bound, `limit` the first so many.
   */
  weight?: Weight
  min?: number
  below?: number
  limit?: number
  /**
   * Keeps only the groups where one of these counters is not zero: a page breakdown leaves out
   * a path that only events were counted on (marginal rows of both share a key).
   */
  counted?: string[]
  /** Adds up the kept groups into one row, with their number as `folded` (the "(other)" row). */
  fold?: boolean
}

/** The rows of one group commit kept in a collector's spool while the store was away, numbered in order. */
export interface SpooledBatch {
  seq: number
  rows: Row[]
}

/** One group: the grouped columns (`time` as a number), the summed counters as numbers, and `folded` for a fold. */
export type AggregateRow = Record<string, string | number>

export interface MigrateOptions {
  /** A site's time zone, for counts a migration moves into site-local days (default UTC). */
  timezoneOf?: (site: string) => string
}

export interface Store {
  /** Creates or upgrades the schema: versioned, idempotent, one migrator at a time. */
  migrate(options?: MigrateOptions): Promise<void>
  /** Adds the rows' counts (of any table), in one transaction: when it resolves, they are durable. */
  write(rows: Row[]): Promise<void>
  /**
   * Adds the batches of a collector's spool (spool.ts) that the store has not taken yet, so that
   * a batch sent again after an answer that never came is counted once. The store records the
   * last `seq` it took from each spool with the rows, in the same transaction (ClickHouse: per
   * table, after its insert; see its store), and skips the batches up to it. Batches come in
   * ascending `seq`.
   */
  replay(spool: string, batches: readonly SpooledBatch[]): Promise<void>
  /** Answers queries, each with its groups, in order; a store may share work between them. */
  query(queries: AggregateQuery[]): Promise<AggregateRow[][]>
  /**
   * Deletes the site's detail rows before the hour `before` and remembers that detail before it
   * is gone (detailCutoff). Resolves with the rows deleted, once they are.
   */
  expireDetail(site: string, before: number): Promise<number>
  /**
   * Deletes the site's marginal rows before the bounds: `totals` before the UTC hour `before.hour`,
   * `daily` before the local day `before.day`, `monthly` before the local month `before.month`.
   * A bound of `Number.POSITIVE_INFINITY` deletes every row of its table for the site (an
   * import's rows under its own key). Nothing records the bounds: a query of a range before
   * them finds no rows. Resolves with the rows deleted, once they are.
   */
  expireMarginals(site: string, before: { hour: number; day: number; month: number }): Promise<number>
  /** The hour before which the site's detail rows were deleted; 0 when none ever were. */
  detailCutoff(site: string): Promise<number>
  /** The sites the store holds counts for. */
  sites(): Promise<string[]>
  /**
   * Resolves when the store answers, rejects when it does not: the collector's health check.
   * PostgreSQL and ClickHouse: a `SELECT 1`; SQLite: one on its connection and a round trip
   * through its write worker.
   */
  ping(): Promise<void>
  close(): Promise<void>
}

/** A store's methods as functions of its connection (the first argument), and close() as the connection's. */
export type StoreFunctions<Connection> = {
  [Method in Exclude<keyof Store, 'close'>]: (connection: Connection, ...args: Parameters<Store[Method]>) => ReturnType<Store[Method]>
}

/**
 * A store from its functions, each called with the connection first.
 *
 * @example return storeOn(postgresConnection(url, pg), { migrate, write, replay, query, … })
 */
export function storeOn<Connection extends { close(): Promise<void> }>(connection: Connection, functions: StoreFunctions<Connection>): Store {
  const bound = Object.entries(functions).map(([name, method]) => [name, (...args: unknown[]) => (method as (...all: unknown[]) => unknown)(connection, ...args)])
  return { ...Object.fromEntries(bound), close: () => connection.close() } as Store
}
