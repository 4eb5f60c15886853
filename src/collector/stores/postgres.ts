import { mergeRow, type Row, TABLES, type Table } from '../rows.js'
import { aggregate, createTable, type Dialect, upsert, upsertValues } from './sql.js'
import type { AggregateRow, Store } from './store.js'

/**
 * The part of `pg` this store calls, declared here so that pg stays an optional peer dependency
 * (open.ts imports it only for a postgres: URL).
 */
export interface PgDriver {
  Pool: new (config: { connectionString: string; max?: number }) => PgPool
}
export interface PgPool {
  connect(): Promise<PgClient>
  query(text: string, values?: unknown[]): Promise<PgResult>
  on(event: 'error', listener: (error: Error) => void): unknown
  end(): Promise<void>
}
export interface PgClient {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<PgResult>
  release(error?: Error | boolean): void
}
interface PgResult {
  rows: Record<string, unknown>[]
}

const dialect: Dialect = { placeholder: (n) => `$${n}`, integer: 'BIGINT' }

/** Versioned migrations: each runs once, in order, inside one transaction. */
const MIGRATIONS: string[][] = [(Object.keys(TABLES) as Table[]).map((table) => createTable(table, dialect))]

/** Held (per transaction) while migrating, so that collectors started together migrate once. */
const MIGRATION_LOCK = 0x71_63_6d_67 // "qcmg"

/**
 * A PostgreSQL store on `pg`. Each write() is one transaction on one pooled connection; it
 * resolves after COMMIT, which PostgreSQL acknowledges once the WAL is flushed to disk
 * (with its defaults `fsync = on` and `synchronous_commit = on`; with synchronous replicas
 * configured, once they have it too).
 *
 * @example
 * import pg from 'pg'
 * const store = postgresStore('postgres://quietcount@db.internal/quietcount', pg)
 * await store.migrate()
 */
export function postgresStore(url: string, pg: PgDriver): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle connection that breaks (server restart, network) is dropped by the pool, and the
  // next query opens a new one; without a listener the error would crash the process.
  pool.on('error', () => {})

  /** A connection from the pool; migrate() creates the URL's database first if it is missing. */
  const connect = async (create: boolean) => {
    try {
      return await pool.connect()
    } catch (error) {
      if (!create || (error as { code?: string }).code != '3D000') throw error // 3D000: invalid_catalog_name
      await createDatabase(url, pg)
      return await pool.connect()
    }
  }

  /** BEGIN … COMMIT on one connection; ROLLBACK and discard the connection on failure. */
  const transaction = async (client: PgClient, work: () => Promise<void>) => {
    try {
      await client.query({ text: 'BEGIN' })
      await work()
      await client.query({ text: 'COMMIT' })
      client.release()
    } catch (error) {
      await client.query({ text: 'ROLLBACK' }).catch(() => {})
      client.release(error as Error)
      throw error
    }
  }

  return {
    async migrate() {
      const client = await connect(true)
      await transaction(client, async () => {
        await client.query({ text: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})` })
        await client.query({ text: 'CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())' })
        const done = new Set((await client.query({ text: 'SELECT version FROM quietcount_migrations' })).rows.map((r) => Number(r.version)))
        for (const [i, steps] of MIGRATIONS.entries()) {
          if (done.has(i + 1)) continue
          for (const text of steps) await client.query({ text })
          await client.query({ text: 'INSERT INTO quietcount_migrations (version) VALUES ($1)', values: [i + 1] })
        }
      })
    },
    async write(rows) {
      if (!rows.length) return
      // One statement per table, rows merged by key (one statement may not update a row twice)
      // and sorted, so that concurrent writers take row locks in the same order: no deadlocks.
      const merged = new Map<string, Row>()
      rows.forEach((row) => mergeRow(merged, { ...row, site: storable(row.site), dims: Object.fromEntries(Object.entries(row.dims).map(([d, v]) => [d, storable(v)])) }))
      const byTable = new Map<Table, Row[]>()
      for (const key of [...merged.keys()].sort()) {
        const row = merged.get(key)!
        if (!byTable.has(row.table)) byTable.set(row.table, [])
        byTable.get(row.table)!.push(row)
      }
      const client = await connect(false)
      await transaction(client, async () => {
        for (const [table, tableRows] of byTable) {
          await client.query({ name: `quietcount_upsert_many_${table}`, text: upsertMany(table), values: columnsOf(tableRows) })
        }
      })
    },
    async query(query) {
      const { text, values } = aggregate(query, dialect)
      const { rows } = await pool.query(text, values.map(storable))
      return rows.map((row) => numbers(row, query.table))
    },
    async close() {
      await pool.end()
    },
  }
}

/**
 * sql.ts's upsert for many rows at once: the values come as one array per column, unnested
 * into rows (one round trip per table instead of one per row); the ON CONFLICT clause, which
 * adds the counters, is sql.ts's own.
 */
export function upsertMany(table: Table): string {
  const { dimensions, counters } = TABLES[table]
  const types = ['text', 'bigint', ...dimensions.map(() => 'text'), ...counters.map(() => 'bigint')]
  const single = upsert(table, dialect)
  const onConflict = single.slice(single.indexOf(' ON CONFLICT '))
  return `INSERT INTO ${table} (${['site', 'hour', ...dimensions, ...counters].join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})${onConflict}`
}

/** upsertValues() of each row, turned into one array per column. */
function columnsOf(rows: Row[]): (string | number)[][] {
  const values = rows.map(upsertValues)
  return values[0]!.map((_, column) => values.map((row) => row[column]!))
}

/**
 * PostgreSQL text cannot hold U+0000 (the whole write would fail, and with it every beacon of the
 * batch), so it is stored, and looked up, as U+FFFD: the one place where this store differs from
 * the others. Replaced before rows are merged, as two keys may become one.
 */
const storable = <T>(value: T): T => (typeof value == 'string' ? (value.replaceAll('\0', '\uFFFD') as T) : value)

/**
 * pg returns BIGINT and the NUMERIC of SUM(BIGINT) as strings, and SUM over no rows as null:
 * counters and hours become numbers (exact up to 2^53), dimension values stay strings.
 */
function numbers(row: Record<string, unknown>, table: Table): AggregateRow {
  const counters = new Set<string>([...TABLES[table].counters, 'hour'])
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, counters.has(name) ? Number(value ?? 0) : String(value)]))
}

/** CREATE DATABASE for the URL's database, through the maintenance database `postgres`. */
async function createDatabase(url: string, pg: PgDriver): Promise<void> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!name) throw new Error(`postgres URL ${JSON.stringify(url)} names no database`)
  target.pathname = '/postgres'
  const maintenance = new pg.Pool({ connectionString: target.href, max: 1 })
  maintenance.on('error', () => {})
  try {
    await maintenance.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
  } catch (error) {
    // Another collector created it meanwhile: 42P04 duplicate_database, or 23505 when both
    // inserted into pg_database at the same moment.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error
  } finally {
    await maintenance.end()
  }
}
