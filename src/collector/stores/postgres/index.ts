import { marginalBounds, mergeRow, type Row, TABLES, type Table } from '../../schema.js'
import { runMigrations } from '../migrate.js'
import { batchStatements, checkQuery, type Dialect, numbers } from '../sql.js'
import type { Store } from '../store.js'
import { MIGRATIONS } from './migrations/index.js'

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
  on(event: 'error', listener: (error: Error) => void): unknown
}
interface PgResult {
  rows: Record<string, unknown>[]
  rowCount?: number | null
}

const dialect: Dialect = {
  bind: (value, values) => {
    values.push(storable(value))
    return `$${values.length}`
  },
  table: (name) => name,
  greatest: 'GREATEST',
  // Byte order, whatever the database's collation, as the other stores and JavaScript compare.
  byteOrder: ' COLLATE "C"',
  enumerate: true,
  materialized: ' MATERIALIZED',
}

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
    let client: PgClient
    try {
      client = await pool.connect()
    } catch (error) {
      if (!create || (error as { code?: string }).code !== '3D000') throw error // 3D000: invalid_catalog_name
      await createDatabase(url, pg)
      client = await pool.connect()
    }
    // The pool listens to its idle connections only: a server that stops ends a checked-out one
    // with an 'error' event that would crash the process. Its query fails as well, which is
    // where the failure is handled.
    if (!listened.has(client)) {
      listened.add(client)
      client.on('error', () => {})
    }
    return client
  }
  const listened = new WeakSet<PgClient>()

  /** BEGIN … COMMIT on one connection; ROLLBACK and discard the connection on failure. */
  const transaction = async <T>(work: (client: PgClient) => Promise<T>, create = false): Promise<T> => {
    const client = await connect(create)
    try {
      await client.query({ text: 'BEGIN' })
      const result = await work(client)
      await client.query({ text: 'COMMIT' })
      client.release()
      return result
    } catch (error) {
      await client.query({ text: 'ROLLBACK' }).catch(() => {})
      client.release(error as Error)
      throw error
    }
  }

  /**
   * Adds rows on a connection in a transaction: one statement per table, rows merged by key (one
   * statement may not update a row twice) and sorted, so that concurrent writers take row locks
   * in the same order: no deadlocks.
   */
  const upsert = async (client: PgClient, rows: readonly Row[]) => {
    const merged = new Map<string, Row>()
    for (const row of rows) mergeRow(merged, { ...row, site: storable(row.site), dims: Object.fromEntries(Object.entries(row.dims).map(([d, v]) => [d, storable(v)])) })
    const byTable = new Map<Table, Row[]>()
    for (const key of [...merged.keys()].sort()) {
      const row = merged.get(key)!
      if (!byTable.has(row.table)) byTable.set(row.table, [])
      byTable.get(row.table)!.push(row)
    }
    for (const [table, tableRows] of byTable) {
      await client.query({ name: `quietcount_upsert_many_${table}`, text: upsertMany(table), values: columnsOf(tableRows) })
    }
  }

  return {
    async migrate(options = {}) {
      await transaction(async (client) => {
        const query = async (text: string, values?: unknown[]) => (await client.query({ text, values })).rows
        await runMigrations(
          {
            context: { query, timezoneOf: options.timezoneOf ?? (() => 'UTC') },
            async locked(work) {
              await query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`)
              await query('CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())')
              await work()
            },
            applied: async () => new Set((await query('SELECT version FROM quietcount_migrations')).map((r) => Number(r.version))),
            record: async (version) => void (await query('INSERT INTO quietcount_migrations (version) VALUES ($1)', [version])),
          },
          MIGRATIONS,
        )
      }, true)
    },
    async write(rows) {
      if (rows.length) await transaction((client) => upsert(client, rows))
    },
    async replay(spool, batches) {
      await transaction(async (client) => {
        // The row lock waits for a replay of the same spool still committing (its answer lost):
        // what it took is then seen, and not taken again.
        await client.query({ text: 'INSERT INTO quietcount_replays (spool, through) VALUES ($1, 0) ON CONFLICT (spool) DO NOTHING', values: [spool] })
        const [taken] = (await client.query({ text: 'SELECT through FROM quietcount_replays WHERE spool = $1 FOR UPDATE', values: [spool] })).rows
        const fresh = batches.filter((batch) => batch.seq > Number(taken!.through))
        if (!fresh.length) return
        await upsert(
          client,
          fresh.flatMap((batch) => batch.rows),
        )
        await client.query({ text: 'UPDATE quietcount_replays SET through = $2 WHERE spool = $1', values: [spool, fresh.at(-1)!.seq] })
      })
    },
    async query(queries) {
      queries.forEach(checkQuery)
      // Weighted queries of the same groups are grouped once (batchStatements); each statement on a connection of the pool.
      const { statements, answers: answer } = batchStatements(queries, dialect)
      const answers = answer(await Promise.all(statements.map(async ({ text, values }) => (await pool.query(text, values)).rows)))
      return answers.map((rows, i) => rows.map((row) => numbers(row, TABLES[queries[i]!.parts[0]!.table])))
    },
    expireDetail: (site, before) =>
      transaction(async (client) => {
        let deleted = 0
        for (const table of ['detail_pages', 'detail_events'])
          deleted += (await client.query({ text: `DELETE FROM ${table} WHERE site = $1 AND hour < $2`, values: [storable(site), before] })).rowCount ?? 0
        await client.query({
          text: 'INSERT INTO detail_cutoffs (site, hour) VALUES ($1, $2) ON CONFLICT (site) DO UPDATE SET hour = GREATEST(detail_cutoffs.hour, excluded.hour)',
          values: [storable(site), before],
        })
        return deleted
      }),
    async expireMarginals(site, before) {
      const bounds = marginalBounds(before)
      return transaction(async (client) => {
        let deleted = 0
        for (const { table, time, before } of bounds) {
          const bounded = before === undefined ? '' : ` AND ${time} < $2`
          deleted +=
            (await client.query({ text: `DELETE FROM ${table} WHERE site = $1${bounded}`, values: [storable(site), ...(before === undefined ? [] : [before])] })).rowCount ?? 0
        }
        return deleted
      })
    },
    async detailCutoff(site) {
      const { rows } = await pool.query('SELECT hour FROM detail_cutoffs WHERE site = $1', [storable(site)])
      return Number(rows[0]?.hour ?? 0)
    },
    async sites() {
      // A loose index scan: one index seek per site instead of reading every hour of every site.
      const { rows } = await pool.query(
        'WITH RECURSIVE s AS (SELECT min(site) AS site FROM totals UNION ALL SELECT (SELECT min(site) FROM totals WHERE site > s.site) FROM s WHERE s.site IS NOT NULL) SELECT site FROM s WHERE site IS NOT NULL',
      )
      return rows.map((row) => String(row.site))
    },
    async close() {
      await pool.end()
    },
  }
}

/**
 * The upsert of many rows of a table at once: the values come as one array per column, unnested
 * into rows (one round trip per table instead of one per row); an existing row's counters are
 * added to.
 */
export function upsertMany(table: Table): string {
  const { time, dimensions, counters, key } = TABLES[table]
  const columns = ['site', time, ...dimensions, ...counters]
  const types = ['text', 'bigint', ...dimensions.map(() => 'text'), ...counters.map(() => 'bigint')]
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) ` +
    `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`
  )
}

/** The rows' values, one array per column in upsertMany's order. */
function columnsOf(rows: Row[]): (string | number)[][] {
  const { dimensions, counters } = TABLES[rows[0]!.table]
  return [rows.map((r) => r.site), rows.map((r) => r.time), ...dimensions.map((d) => rows.map((r) => r.dims[d] ?? '')), ...counters.map((c) => rows.map((r) => r.counts[c] ?? 0))]
}

/**
 * PostgreSQL text cannot hold U+0000 (the whole write would fail, and with it every beacon of the
 * batch), so it is stored, and looked up, as U+FFFD: the one place where this store differs from
 * the others. Replaced before rows are merged, as two keys may become one.
 */
const storable = <T>(value: T): T => (typeof value === 'string' ? (value.replaceAll('\0', '\uFFFD') as T) : value)

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
