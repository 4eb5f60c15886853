import { type Row, TABLES, type Table } from '../../schema.js'
import type { SpooledBatch } from '../store.js'
import { addOnConflict, byTable, untaken, writtenColumns, writtenValues } from '../upsert.js'
import type { SqliteConnections } from './connection.js'
import type { Step } from './worker-connection.js'

/** One upsert for one row of each table: the counters of an existing row are added to. */
const UPSERTS = Object.fromEntries(
  (Object.keys(TABLES) as Table[]).map((table) => {
    const columns = writtenColumns(table)
    return [table, `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${addOnConflict(table)}`]
  }),
) as Record<Table, string>

/** One upsert statement per table, run for each of its rows (in one transaction, as every batch). */
function upsertSteps(rows: readonly Row[]): Step[] {
  return [...byTable(rows, writtenValues)].map(([table, each]) => ({ sql: UPSERTS[table], values: [], each }))
}

/** Store.write: one transaction on the write worker. */
export async function write({ writes }: SqliteConnections, rows: readonly Row[]): Promise<void> {
  await writes.run(upsertSteps(rows))
}

/** Store.replay: the spool's batches not taken yet, and the record of the last one (table quietcount_replays), in one transaction. */
export async function replay({ db, writes }: SqliteConnections, spool: string, batches: readonly SpooledBatch[]): Promise<void> {
  // One replayer per spool, and a failed batch here is rolled back whole: what the store
  // took is known before it runs.
  const taken = (db.prepare('SELECT through FROM quietcount_replays WHERE spool = ?').pluck().get(spool) as number | undefined) ?? 0
  const fresh = untaken(batches, taken)
  if (!fresh) return
  await writes.run([
    ...upsertSteps(fresh.rows),
    { sql: 'INSERT INTO quietcount_replays (spool, through) VALUES (?, ?) ON CONFLICT (spool) DO UPDATE SET through = excluded.through', values: [spool, fresh.through] },
  ])
}
