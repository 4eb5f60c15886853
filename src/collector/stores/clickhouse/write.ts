import { wellFormed } from '../../../shared/well-formed.js'
import { mergeRow, type Row, TABLES, type Table } from '../../schema.js'
import type { SpooledBatch } from '../store.js'
import { byTable, untaken, writtenColumns, writtenValues } from '../upsert.js'
import type { ClickHouseConnection } from './connection.js'
import { clickhouseString } from './dialect.js'

/**
 * A column of every table, not in TABLES: 1 per written row, summed like the counters. A
 * SummingMergeTree deletes a row whose summed columns are all zero when it merges; this keeps
 * such rows (a page seen with zero views still is a group), as the SQL stores do.
 */
const WRITES = '_writes'

/**
 * Store.write: one insert per table, at the same time: ClickHouse has no transactions across
 * tables anyway, and each insert waits for its part on disk.
 */
export async function write(connection: ClickHouseConnection, rows: readonly Row[]): Promise<void> {
  await Promise.all([...byTable(rows, insertValues)].map(([table, values]) => connection.insert(table, values)))
}

/**
 * Store.replay: per table, its insert and then the record of what it took (table
 * quietcount_replays): a table whose insert succeeded is not written again when another table's
 * failed. An insert the server applied but whose answer was lost is written again
 * (docs/collector.md, Failure modes).
 */
export async function replay(connection: ClickHouseConnection, spool: string, batches: readonly SpooledBatch[]): Promise<void> {
  if (!batches.length) return
  const taken = await takenByTable(connection, spool)
  await Promise.all(
    (Object.keys(TABLES) as Table[]).map(async (table) => {
      const fresh = untaken(batches, taken.get(table) ?? 0)
      const merged = new Map<string, Row>()
      for (const row of fresh?.rows ?? []) if (row.table === table) mergeRow(merged, row)
      if (!fresh || !merged.size) return
      await connection.insert(table, [...merged.values()].map(insertValues))
      await connection.insert('quietcount_replays', [{ spool: wellFormed(spool), counts_table: table, through: fresh.through }])
    }),
  )
}

/** The last batch of the spool each table took. */
async function takenByTable({ db, rows }: ClickHouseConnection, spool: string): Promise<Map<string, number>> {
  const taken = await rows(`SELECT counts_table, max(through) AS through FROM ${db}.quietcount_replays WHERE spool = ${clickhouseString(spool)} GROUP BY counts_table`)
  return new Map(taken.map((r) => [String(r.counts_table), Number(r.through)]))
}

/** One JSONEachRow object: every column of the table, by name from TABLES, and WRITES. */
function insertValues(row: Row): Record<string, string | number> {
  const values = writtenValues(row)
  const columns = writtenColumns(row.table).map((column, i) => {
    const value = values[i]!
    return [column, typeof value === 'string' ? wellFormed(value) : value]
  })
  return { ...Object.fromEntries(columns), [WRITES]: 1 }
}
