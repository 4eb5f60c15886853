import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import Database from 'better-sqlite3'
import pg from 'pg'
import { describe, inject, it } from 'vitest'
import { clickhouseConfig, clickhouseString } from '../../src/collector/stores/clickhouse/index.js'
import { openStore } from '../../src/collector/stores/open.js'
import type { Store } from '../../src/collector/stores/store.js'

/**
 * The stores every collector suite runs against. SQLite always; PostgreSQL and ClickHouse when
 * test/services/setup.ts started their throw-away servers (it says why when it could not).
 * Suites take them through describeStore, which skips a missing one, or fails it under CI=true.
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

/** The servers test/services/setup.ts provides; every one missing when it did not run for this file's project. */
const SERVERS = ['postgres', 'clickhouse']

export function storesUnderTest(): StoreUnderTest[] {
  const services =
    inject('services') ??
    Object.fromEntries(SERVERS.map((name) => [name, { url: '', missing: "test/services/setup.ts did not run for this file's vitest project (vitest.config.ts)" }]))
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

/**
 * `describe` for one store under test, titled `${title}: ${store}`. A store whose server is
 * missing is never reported as passed: its suite is skipped with the reason, and under CI=true
 * it is one failing test naming the server instead.
 *
 * ```ts
 * for (const underTest of storesUnderTest()) {
 *   describeStore(underTest, 'store conformance', () => { it(...) })
 * }
 * ```
 */
export function describeStore(underTest: StoreUnderTest, title: string, fn: () => void) {
  suiteOf(describe)(underTest, title, fn)
}
/** describeStore whose suite runs beside its concurrent neighbours, as `describe.concurrent`. */
describeStore.concurrent = (underTest: StoreUnderTest, title: string, fn: () => void) => suiteOf(describe.concurrent)(underTest, title, fn)

const suiteOf = (suite: (name: string, fn: () => void) => void) => (underTest: StoreUnderTest, title: string, fn: () => void) => {
  const name = `${title}: ${underTest.name}`
  if (!underTest.missing) return suite(name, fn)
  if (process.env.CI !== 'true') return describe.skip(`${name} (skipped: ${underTest.missing})`, fn)
  return describe(name, () => {
    it(`needs the ${underTest.name} server`, () => {
      throw new Error(`CI=true and the ${underTest.name} server is missing: ${underTest.missing}`)
    })
  })
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
