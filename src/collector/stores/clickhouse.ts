import { type Row, TABLES, type Table } from '../rows.js'
import { checkQuery } from './sql.js'
import type { AggregateQuery, AggregateRow, Store } from './store.js'

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

/** Versioned migrations: each runs once, in order. ClickHouse has no DDL transactions, so each
 * statement must be idempotent on its own (IF NOT EXISTS), in case a migration is interrupted. */
const MIGRATIONS: ((db: string, settings: string[]) => string[])[] = [(db, settings) => (Object.keys(TABLES) as Table[]).map((table) => createTable(db, table, settings))]

/**
 * The CREATE TABLE of `table`: a SummingMergeTree keyed by site, hour and every dimension, so
 * that rows of the same key are summed when parts merge. Merging happens in the background,
 * whenever it happens, so queries still sum() with GROUP BY.
 */
export function createTable(db: string, table: Table, settings: string[] = []): string {
  const { dimensions, counters } = TABLES[table]
  const columns = ['site String', 'hour UInt32', ...dimensions.map((d) => `${d} String`), ...counters.map((c) => `${c} Int64`), `${WRITES} UInt64`]
  return (
    `CREATE TABLE IF NOT EXISTS ${identifier(db)}.${table} (${columns.join(', ')}) ` +
    `ENGINE = SummingMergeTree((${[...counters, WRITES].join(', ')})) ORDER BY (site, hour, ${dimensions.join(', ')})` +
    (settings.length ? ` SETTINGS ${settings.map((s) => `${s} = 1`).join(', ')}` : '')
  )
}

/**
 * A ClickHouse string literal: backslash and quote escaped, and the control characters that
 * have an escape (https://clickhouse.com/docs/en/sql-reference/syntax#string). Needed because
 * the oldest servers we support (18.16, Debian's package) have no query parameters.
 */
export function clickhouseString(value: string): string {
  if (typeof value != 'string') throw new Error(`not a string: ${JSON.stringify(value)}`)
  return `'${value.replace(/[\\'\0\b\f\n\r\t]/g, (c) => ESCAPES[c]!)}'`
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** A database name: only plain identifiers, backquoted. */
function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`clickhouse database name ${JSON.stringify(name)} must be letters, digits and _`)
  return `\`${name}\``
}

const hourLiteral = (hour: number) => {
  if (!Number.isSafeInteger(hour)) throw new Error(`hour ${JSON.stringify(hour)} is not an integer`)
  return String(hour)
}

/** The SELECT of a query: names from TABLES (checkQuery), values as escaped literals. */
export function aggregateSql(db: string, query: AggregateQuery): string {
  const { groupBy, filters } = checkQuery(query)
  const where = [`site = ${clickhouseString(query.site)}`, `hour >= ${hourLiteral(query.from)}`, `hour < ${hourLiteral(query.to)}`, ...filters.map(([d, v]) => `${d} = ${clickhouseString(v)}`)]
  const sums = TABLES[query.table].counters.map((c) => `sum(${c}) AS ${c}`)
  const group = groupBy.length ? ` GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : ''
  return `SELECT ${[...groupBy, ...sums].join(', ')} FROM ${identifier(db)}.${query.table} WHERE ${where.join(' AND ')}${group}`
}

/** Where a URL points: `clickhouse://user:password@host:8123/db` or `http(s)://host:port/db`. */
export function clickhouseConfig(url: string): { url: string; username?: string; password?: string; database: string } {
  const parsed = new URL(url)
  if (!['clickhouse:', 'http:', 'https:'].includes(parsed.protocol)) throw new Error(`clickhouse URL ${JSON.stringify(url)} must start with clickhouse://, http:// or https://`)
  const http = new URL(`${parsed.protocol == 'https:' ? 'https' : 'http'}://${parsed.host}`)
  if (parsed.protocol == 'clickhouse:' && !parsed.port) http.port = '8123'
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
 * ClickHouse has no transactions across tables: if write() fails after the first table, that
 * table keeps its rows.
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
  const rows = async (query: string) => (await (await client.query({ query, format: 'JSONEachRow' })).json()) as Record<string, unknown>[]

  return {
    async migrate() {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` })
      await client.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.quietcount_migrations (version UInt32, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version` })
      const done = new Set((await rows(`SELECT DISTINCT version FROM ${db}.quietcount_migrations`)).map((r) => Number(r.version)))
      const settings = (await rows(`SELECT name FROM system.merge_tree_settings WHERE name IN (${FSYNC_SETTINGS.map(clickhouseString).join(', ')})`)).map((r) => String(r.name))
      for (const [i, steps] of MIGRATIONS.entries()) {
        if (done.has(i + 1)) continue
        for (const query of steps(database, settings.filter((s) => FSYNC_SETTINGS.includes(s)))) await client.command({ query })
        await client.command({ query: `INSERT INTO ${db}.quietcount_migrations (version) VALUES (${i + 1})` })
      }
    },
    async write(written) {
      const byTable = new Map<Table, Record<string, string | number>[]>()
      for (const row of written) {
        const values = byTable.get(row.table) ?? []
        values.push(insertValues(row))
        byTable.set(row.table, values)
      }
      for (const [table, values] of byTable) await client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' })
    },
    async query(query) {
      const sql = aggregateSql(database, query)
      const counters = new Set<string>([...TABLES[query.table].counters, 'hour'])
      // Sums of Int64 come back as JSON strings (output_format_json_quote_64bit_integers).
      return (await rows(sql)).map((row): AggregateRow =>
        Object.fromEntries(Object.entries(row).map(([name, value]) => [name, counters.has(name) ? Number(value) : String(value)])),
      )
    },
    async close() {
      await client.close()
    },
  }
}

/** One JSONEachRow object: every column of the table, by name from TABLES. */
function insertValues(row: Row): Record<string, string | number> {
  const { dimensions, counters } = TABLES[row.table]
  return {
    site: wellFormed(row.site),
    hour: row.hour,
    ...Object.fromEntries(dimensions.map((d) => [d, wellFormed(row.dims[d] ?? '')])),
    ...Object.fromEntries(counters.map((c) => [c, row.counts[c] ?? 0])),
    [WRITES]: 1,
  }
}

/**
 * A lone UTF-16 surrogate becomes U+FFFD, as it does when a string is sent as UTF-8 (a query's
 * literals, the other stores' drivers). JSON.stringify would send it as `\ud800`, which
 * ClickHouse refuses, failing the whole insert and with it every beacon of the batch.
 */
const wellFormed = (value: string) => value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD')
