import { type Row, TABLES, type Table } from '../schema.js'
import type { SpooledBatch } from './store.js'

/**
 * What the stores share of writing rows: the columns of a table in the order every store writes
 * them (site, time, dimensions, counters), a row's values in that order, rows by table, and the
 * batches of a spool a store has not taken yet.
 */

const WRITTEN = Object.fromEntries(
  (Object.keys(TABLES) as Table[]).map((table): [Table, readonly string[]] => {
    const { time, dimensions, counters } = TABLES[table]
    return [table, ['site', time, ...dimensions, ...counters]]
  }),
) as Record<Table, readonly string[]>

/** A table's written columns, in order: site, time, dimensions, counters. */
export const writtenColumns = (table: Table): readonly string[] => WRITTEN[table]

/** A row's values in writtenColumns' order: '' for a dimension it lacks, 0 for a counter. */
export function writtenValues(row: Row): (string | number)[] {
  const { dimensions, counters } = TABLES[row.table]
  return [row.site, row.time, ...dimensions.map((d) => row.dims[d] ?? ''), ...counters.map((c) => row.counts[c] ?? 0)]
}

/** `value` of each row, by table, in the rows' order within a table. */
export function byTable<T>(rows: Iterable<Row>, value: (row: Row) => T): Map<Table, T[]> {
  const tables = new Map<Table, T[]>()
  for (const row of rows) {
    const values = tables.get(row.table) ?? []
    values.push(value(row))
    tables.set(row.table, values)
  }
  return tables
}

/** The end of an upsert (SQLite, PostgreSQL): an existing row of the same key has the counters added to it. */
export function addOnConflict(table: Table): string {
  const { counters, key } = TABLES[table]
  return `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`
}

/**
 * The batches after `taken` (the last `seq` the store took from their spool): their rows, and
 * the `seq` to record once they are written; undefined when there are none. Batches come in
 * ascending `seq` (Store.replay).
 */
export function untaken(batches: readonly SpooledBatch[], taken: number): { rows: Row[]; through: number } | undefined {
  const fresh = batches.filter((batch) => batch.seq > taken)
  if (!fresh.length) return undefined
  return { rows: fresh.flatMap((batch) => batch.rows), through: fresh.at(-1)!.seq }
}
