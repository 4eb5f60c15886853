import { mergeRow, type Row, TABLES, type Table } from '../../schema.js'
import type { SpooledBatch } from '../store.js'
import { addOnConflict, byTable, untaken, writtenColumns, writtenValues } from '../upsert.js'
import type { PostgresConnection } from './connection.js'
import { storableRow } from './dialect.js'
import type { PgClient } from './driver.js'

/** Store.write: one transaction. */
export async function write(connection: PostgresConnection, rows: readonly Row[]): Promise<void> {
  if (rows.length) await connection.transaction((client) => upsert(client, rows))
}

/**
 * Store.replay: the spool's batches not taken yet, and the record of the last one, in one
 * transaction (table quietcount_replays).
 */
export async function replay(connection: PostgresConnection, spool: string, batches: readonly SpooledBatch[]): Promise<void> {
  await connection.transaction(async (client) => {
    // The row lock waits for a replay of the same spool still committing (its answer lost):
    // what it took is then seen, and not taken again.
    await client.query({ text: 'INSERT INTO quietcount_replays (spool, through) VALUES ($1, 0) ON CONFLICT (spool) DO NOTHING', values: [spool] })
    const [taken] = (await client.query({ text: 'SELECT through FROM quietcount_replays WHERE spool = $1 FOR UPDATE', values: [spool] })).rows
    const fresh = untaken(batches, Number(taken!.through))
    if (!fresh) return
    await upsert(client, fresh.rows)
    await client.query({ text: 'UPDATE quietcount_replays SET through = $2 WHERE spool = $1', values: [spool, fresh.through] })
  })
}

/**
 * Adds rows on a connection in a transaction: one statement per table, rows merged by key (one
 * statement may not update a row twice) and sorted, so that concurrent writers take row locks
 * in the same order: no deadlocks.
 */
async function upsert(client: PgClient, rows: readonly Row[]): Promise<void> {
  const merged = new Map<string, Row>()
  for (const row of rows) mergeRow(merged, storableRow(row))
  const sorted = [...merged.keys()].sort().map((key) => merged.get(key)!)
  for (const [table, values] of byTable(sorted, writtenValues)) {
    await client.query({ name: `quietcount_upsert_many_${table}`, text: upsertMany(table), values: columnArrays(values) })
  }
}

/**
 * The upsert of many rows of a table at once: the values come as one array per column, unnested
 * into rows (one round trip per table instead of one per row); an existing row's counters are
 * added to.
 */
export function upsertMany(table: Table): string {
  const { dimensions, counters } = TABLES[table]
  const types = ['text', 'bigint', ...dimensions.map(() => 'text'), ...counters.map(() => 'bigint')]
  return `INSERT INTO ${table} (${writtenColumns(table).join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) ${addOnConflict(table)}`
}

/** Rows' values (writtenValues) as one array per column, in upsertMany's order. */
function columnArrays(rows: (string | number)[][]): (string | number)[][] {
  return rows[0]!.map((_, column) => rows.map((values) => values[column]!))
}
