import { wellFormed } from '../../../shared/well-formed.js'
import { marginalBounds, mergeRow, type Row, TABLES, type Table } from '../../schema.js'
import { runMigrations } from '../migrate.js'
import { aggregate, checkQuery, type Dialect, numbers } from '../sql.js'
import type { Store } from '../store.js'
import { MIGRATIONS } from './migrations/index.js'

/**
 * The part of `@clickhouse/client` this store calls, declared here so that the client stays an
 * optional peer dependency (open.ts imports it only for a ClickHouse URL).
 */
export interface ClickHouseDriver {
  createClient(config: { url: string; username?: string; password?: string; compression?: { request?: boolean; response?: boolean } }): ClickHouseClient
}
export interface ClickHouseClient {
  command(params: { query: string }): Promise<unknown>
  query(params: { query: string; format: 'JSONEachRow' }): Promise<{ json(): Promise<unknown> }>
  insert(params: { table: string; values: Record<string, string | number>[]; format: 'JSONEachRow' }): Promise<unknown>
  close(): Promise<void>
}

/**
 * A column of every table, not in TABLES: 1 per written row, summed like the counters. A
 * SummingMergeTree deletes a row whose summed columns are all zero when it merges; this keeps
 * such rows (a page seen with zero views still is a group), as the SQL stores do.
 */
const WRITES = '_writes'

/** MergeTree settings that make an acknowledged insert durable, used when the server has them. */
const FSYNC_SETTINGS = ['fsync_after_insert', 'fsync_part_directory']

/** How long migrate() waits for another migrator's lock, and when a lock counts as abandoned. */
const LOCK_WAIT_MS = 120_000
const LOCK_STALE_S = 600

/**
 * A ClickHouse string literal: backslash and quote escaped, and the control characters that
 * have an escape (https://clickhouse.com/docs/en/sql-reference/syntax#string). Needed because
 * the oldest servers we support (18.16, Debian's package) have no query parameters.
 */
export function clickhouseString(value: string): string {
  if (typeof value !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`)
  return `'${value.replace(/[\\'\0\b\f\n\r\t]/g, (c) => ESCAPES[c]!)}'`
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** A database name: only plain identifiers, backquoted. */
function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`clickhouse database name ${JSON.stringify(name)} must be letters, digits and _`)
  return `\`${name}\``
}

const integer = (value: number) => {
  if (!Number.isSafeInteger(value)) throw new Error(`${JSON.stringify(value)} is not an integer`)
  return String(value)
}

/** The dialect of a database: values as escaped literals, tables named with their database. */
export const clickhouseDialect = (database: string): Dialect => ({
  bind: (value) => (typeof value === 'number' ? integer(value) : clickhouseString(wellFormed(value))),
  table: (name) => `${identifier(database)}.${name}`,
  greatest: 'greatest',
  byteOrder: '',
  enumerate: false,
  // The Debian package's server (18.16) has no table expressions in WITH: its queries stay one by one.
  materialized: '',
})

/** Where a URL points: `clickhouse://user:password@host:8123/db` or `http(s)://host:port/db`. */
export function clickhouseConfig(url: string): { url: string; username?: string; password?: string; database: string } {
  const parsed = new URL(url)
  if (!['clickhouse:', 'http:', 'https:'].includes(parsed.protocol)) throw new Error(`clickhouse URL ${JSON.stringify(url)} must start with clickhouse://, http:// or https://`)
  const http = new URL(`${parsed.protocol === 'https:' ? 'https' : 'http'}://${parsed.host}`)
  if (parsed.protocol === 'clickhouse:' && !parsed.port) http.port = '8123'
  const database = decodeURIComponent(parsed.pathname.replace(/^\/|\/$/g, '')) || 'default'
  identifier(database)
  return {
    url: http.origin,
    database,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
  }
}

/**
 * A ClickHouse store on `@clickhouse/client`, over HTTP. Works with Debian's clickhouse-server
 * 18.16 (tested) and current servers: plain SQL only, no query parameters, no settings that old
 * servers reject, no HTTP compression.
 *
 * Durability: write() resolves when ClickHouse has acknowledged the inserts, that is when each
 * table's rows are a part on the server's disk. By default ClickHouse does not fsync that part:
 * it survives a crash of the server, not necessarily a power loss. migrate() therefore creates
 * the tables with `fsync_after_insert` and `fsync_part_directory` when the server knows them
 * (not 18.16). With replicas (ReplicatedMergeTree), set `insert_quorum` in the user's profile
 * to acknowledge only inserts that several replicas hold. Inserts are synchronous here; a
 * profile with `async_insert = 1` must keep `wait_for_async_insert = 1` (the default).
 *
 * Atomicity: each table's rows are one INSERT, which ClickHouse applies whole (one part), but
 * ClickHouse has no transactions across tables: the inserts run at the same time, and if one
 * fails, the tables whose insert succeeded keep their rows.
 *
 * @example
 * import * as clickhouse from '@clickhouse/client'
 * const store = clickhouseStore('clickhouse://analytics.internal:8123/quietcount', clickhouse)
 * await store.migrate()
 */
export function clickhouseStore(url: string, driver: ClickHouseDriver): Store {
  const { database, ...connection } = clickhouseConfig(url)
  // No `database` in the client: it would send database=… with every request, which fails
  // before migrate() has created it. Every statement names the database instead.
  const client = driver.createClient({ ...connection, compression: { request: false, response: false } })
  const db = identifier(database)
  const dialect = clickhouseDialect(database)
  const rows = async (query: string) => (await (await client.query({ query, format: 'JSONEachRow' })).json()) as Record<string, unknown>[]
  const command = async (query: string) => void (await client.command({ query }))
  const insert = async (table: string, values: Record<string, string | number>[]) => void (await client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' }))

  /** Waits until the mutations of a table (ALTER … DELETE) are done: 18.16 has no mutations_sync. */
  const mutationsDone = async (table: string) => {
    const deadline = Date.now() + 600_000
    while (
      Number(
        (await rows(`SELECT count() AS n FROM system.mutations WHERE database = ${clickhouseString(database)} AND table = ${clickhouseString(table)} AND is_done = 0`))[0]?.n ?? 0,
      ) > 0
    ) {
      if (Date.now() > deadline) throw new Error(`clickhouse: the deletion of old rows from ${table} is still running after 10 minutes`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  return {
    async migrate(options = {}) {
      await command(`CREATE DATABASE IF NOT EXISTS ${db}`)
      await command(`CREATE TABLE IF NOT EXISTS ${db}.quietcount_migrations (version UInt32, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version`)
      const settings = (await rows(`SELECT name FROM system.merge_tree_settings WHERE name IN (${FSYNC_SETTINGS.map(clickhouseString).join(', ')})`)).map((r) => String(r.name))
      await runMigrations(
        {
          context: { db, settings: FSYNC_SETTINGS.filter((s) => settings.includes(s)), command, rows, insert, timezoneOf: options.timezoneOf ?? (() => 'UTC') },
          // ClickHouse has no locks: creating a table is atomic, so a lock table that exists means
          // another migrator runs. One left by a migrator that died is taken over after 10 minutes.
          async locked(work) {
            const deadline = Date.now() + LOCK_WAIT_MS
            for (;;) {
              try {
                // Looked for first, so that the usual wait does not log a failed CREATE each time.
                if ((await rows(`EXISTS TABLE ${db}.quietcount_migration_lock`))[0]?.result === 1) throw new Error('lock table already exists')
                await command(`CREATE TABLE ${db}.quietcount_migration_lock (at DateTime) ENGINE = TinyLog`)
                await command(`INSERT INTO ${db}.quietcount_migration_lock VALUES (now())`)
                break
              } catch (error) {
                if (!/already exists/i.test((error as Error).message)) throw error
                // The holder may have finished and dropped the lock since: then there is nothing to read, and the next try takes it.
                const [held] = await rows(`SELECT dateDiff('second', max(at), now()) AS age, count() AS n FROM ${db}.quietcount_migration_lock`).catch(() => [])
                if (Number(held?.n) > 0 && Number(held?.age) > LOCK_STALE_S) await command(`DROP TABLE IF EXISTS ${db}.quietcount_migration_lock`)
                else if (Date.now() > deadline)
                  throw new Error(`clickhouse: another collector has been migrating ${database} for over ${LOCK_WAIT_MS / 1000} s (table quietcount_migration_lock)`)
                else await new Promise((resolve) => setTimeout(resolve, 250))
              }
            }
            try {
              await work()
            } finally {
              await command(`DROP TABLE IF EXISTS ${db}.quietcount_migration_lock`)
            }
          },
          applied: async () => new Set((await rows(`SELECT DISTINCT version FROM ${db}.quietcount_migrations`)).map((r) => Number(r.version))),
          record: (version) => command(`INSERT INTO ${db}.quietcount_migrations (version) VALUES (${version})`),
        },
        MIGRATIONS,
      )
    },
    async write(written) {
      const byTable = new Map<Table, Record<string, string | number>[]>()
      for (const row of written) {
        const values = byTable.get(row.table) ?? []
        values.push(insertValues(row))
        byTable.set(row.table, values)
      }
      // One insert per table, at the same time: ClickHouse has no transactions across tables
      // anyway, and each insert waits for its part on disk.
      await Promise.all([...byTable].map(([table, values]) => insert(table, values)))
    },
    async replay(spool, batches) {
      const last = batches.at(-1)?.seq
      if (last === undefined) return
      const taken = new Map(
        (await rows(`SELECT counts_table, max(through) AS through FROM ${db}.quietcount_replays WHERE spool = ${clickhouseString(spool)} GROUP BY counts_table`)).map((r) => [
          String(r.counts_table),
          Number(r.through),
        ]),
      )
      // Per table, its insert and then the record of what it took: a table whose insert
      // succeeded is not written again when another table's failed. An insert the server
      // applied but whose answer was lost is written again (docs/collector.md, Failure modes).
      await Promise.all(
        (Object.keys(TABLES) as Table[]).map(async (table) => {
          const from = taken.get(table) ?? 0
          const merged = new Map<string, Row>()
          for (const batch of batches) if (batch.seq > from) for (const row of batch.rows) if (row.table === table) mergeRow(merged, row)
          if (!merged.size) return
          await insert(table, [...merged.values()].map(insertValues))
          await insert('quietcount_replays', [{ spool: wellFormed(spool), counts_table: table, through: last }])
        }),
      )
    },
    async query(queries) {
      queries.forEach(checkQuery)
      // Sums of Int64 come back as JSON strings (output_format_json_quote_64bit_integers).
      return Promise.all(queries.map(async (query) => (await rows(aggregate(query, dialect).text)).map((row) => numbers(row, TABLES[query.parts[0]!.table]))))
    },
    async expireDetail(site, before) {
      const where = `site = ${dialect.bind(site, [])} AND hour < ${integer(before)}`
      let deleted = 0
      for (const table of ['detail_pages', 'detail_events']) {
        const [found] = await rows(`SELECT count() AS n FROM ${db}.${table} WHERE ${where}`)
        if (!Number(found?.n)) continue
        deleted += Number(found!.n)
        await command(`ALTER TABLE ${db}.${table} DELETE WHERE ${where}`)
        await mutationsDone(table)
      }
      await insert('detail_cutoffs', [{ site: wellFormed(site), hour: before }])
      return deleted
    },
    async expireMarginals(site, before) {
      let deleted = 0
      // As expireDetail: counted first, so that a table with nothing to delete is not rewritten.
      for (const { table, time, before: bound } of marginalBounds(before)) {
        const where = `site = ${dialect.bind(site, [])}${bound === undefined ? '' : ` AND ${time} < ${integer(bound)}`}`
        const [found] = await rows(`SELECT count() AS n FROM ${db}.${table} WHERE ${where}`)
        if (!Number(found?.n)) continue
        deleted += Number(found!.n)
        await command(`ALTER TABLE ${db}.${table} DELETE WHERE ${where}`)
        await mutationsDone(table)
      }
      return deleted
    },
    async detailCutoff(site) {
      const [row] = await rows(`SELECT max(hour) AS hour FROM ${db}.detail_cutoffs WHERE site = ${dialect.bind(site, [])}`)
      return Number(row?.hour ?? 0)
    },
    async sites() {
      return (await rows(`SELECT DISTINCT site FROM ${db}.totals ORDER BY site`)).map((row) => String(row.site))
    },
    async close() {
      await client.close()
    },
  }
}

/** One JSONEachRow object: every column of the table, by name from TABLES. */
function insertValues(row: Row): Record<string, string | number> {
  const { time, dimensions, counters } = TABLES[row.table]
  return {
    site: wellFormed(row.site),
    [time]: row.time,
    ...Object.fromEntries(dimensions.map((d) => [d, wellFormed(row.dims[d] ?? '')])),
    ...Object.fromEntries(counters.map((c) => [c, row.counts[c] ?? 0])),
    [WRITES]: 1,
  }
}
