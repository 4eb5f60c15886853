import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import Database from 'better-sqlite3'
import pg from 'pg'
import { inject } from 'vitest'
import { clickhouseConfig, clickhouseString } from '../../src/collector/stores/clickhouse/index.js'
import { openStore } from '../../src/collector/stores/open.js'
import type { Store } from '../../src/collector/stores/store.js'

/**
 * The stores every collector suite runs against. SQLite always; PostgreSQL and ClickHouse when
 * test/services/setup.ts started their throw-away servers (it says why when it could not, and
 * under CI=true a missing server fails the run).
 */
export interface StoreUnderTest {
  name: string
  /** A fresh, empty, migrated store, and its URL. */
  open(): Promise<Store & { url: string }>
  /** Why it cannot run here, or '' when it can. */
  missing: string
}

/** Numbers the databases of one test process, so that two opened in the same millisecond differ. */
let databases = 0

export function storesUnderTest(): StoreUnderTest[] {
  const services = inject('services') ?? {}
  return [
    {
      name: 'sqlite',
      missing: '',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'quietcount-sqlite-'))
        const url = `sqlite:${join(dir, 'test.db')}`
        const store = await openStore(url)
        await store.migrate()
        const close = store.close
        return {
          ...store,
          url,
          close: async () => {
            await close()
            rmSync(dir, { recursive: true, force: true })
          },
        }
      },
    },
    ...Object.entries(services).map(([name, service]) => ({
      name,
      missing: service.missing,
      async open() {
        // Each call gets its own database, so suites never see each other's counts.
        const url = service.url.replace('{db}', `qc_${process.pid}_${Date.now()}_${databases++}`)
        const store = await openStore(url)
        await store.migrate()
        return { ...store, url }
      },
    })),
  ]
}

/** Every table of a store as the server holds it: its columns and all its rows, read around the store's code. */
export async function dumpTables(name: string, url: string): Promise<Record<string, { columns: string[]; rows: Record<string, unknown>[] }>> {
  const tables: Record<string, { columns: string[]; rows: Record<string, unknown>[] }> = {}
  if (name === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true })
    for (const table of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]) {
      tables[table] = {
        columns: (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
        rows: db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[],
      }
    }
    db.close()
  } else if (name === 'postgres') {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    for (const row of (await client.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY ordinal_position")).rows) {
      ;(tables[row.table_name] ??= { columns: [], rows: [] }).columns.push(row.column_name)
    }
    for (const table of Object.keys(tables)) tables[table]!.rows = (await client.query(`SELECT * FROM ${table}`)).rows
    await client.end()
  } else {
    const { url: http, database } = clickhouseConfig(url)
    const client = createClient({ url: http })
    const json = async (query: string) => (await (await client.query({ query, format: 'JSONEachRow' })).json()) as Record<string, unknown>[]
    for (const row of await json(`SELECT table, name FROM system.columns WHERE database = ${clickhouseString(database)}`)) {
      ;(tables[String(row.table)] ??= { columns: [], rows: [] }).columns.push(String(row.name))
    }
    for (const table of Object.keys(tables)) tables[table]!.rows = await json(`SELECT * FROM \`${database}\`.${table}`)
    await client.close()
  }
  return tables
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Started test servers by store name: a URL template with `{db}` for a fresh database. */
    services: Record<string, { url: string; missing: string }>
  }
}
