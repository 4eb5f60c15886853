import type { Dialect } from '../sql.js'
import { clickhouseConfig } from './config.js'
import { clickhouseDialect, identifier } from './dialect.js'
import type { ClickHouseDriver } from './driver.js'

/** The store's client, and the three ways it speaks to the server, every statement naming the database. */
export interface ClickHouseConnection {
  /** The database's name, and (`db`) as a backquoted identifier. */
  database: string
  db: string
  dialect: Dialect
  /** A query's rows (JSONEachRow). */
  rows(sql: string): Promise<Record<string, unknown>[]>
  /** A statement without rows. */
  command(sql: string): Promise<void>
  /** One synchronous insert of a table's rows of the database (JSONEachRow). */
  insert(table: string, values: Record<string, string | number>[]): Promise<void>
  close(): Promise<void>
}

/** A client for the URL's server (HTTP, compression off, no client-side settings: 18.16 and current servers alike). */
export function clickhouseConnection(url: string, driver: ClickHouseDriver): ClickHouseConnection {
  const { database, ...connection } = clickhouseConfig(url)
  // No `database` in the client: it would send database=… with every request, which fails
  // before migrate() has created it. Every statement names the database instead.
  const client = driver.createClient({ ...connection, compression: { request: false, response: false } })
  const db = identifier(database)
  return {
    database,
    db,
    dialect: clickhouseDialect(database),
    rows: async (query) => (await (await client.query({ query, format: 'JSONEachRow' })).json()) as Record<string, unknown>[],
    command: async (query) => void (await client.command({ query })),
    insert: async (table, values) => void (await client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' })),
    close: () => client.close(),
  }
}
