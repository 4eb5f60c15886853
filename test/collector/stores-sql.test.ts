import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { type Row, TABLES } from '../../src/collector/rows.js'
import { aggregateSql, type ClickHouseDriver, clickhouseConfig, clickhouseStore, clickhouseString, createTable } from '../../src/collector/stores/clickhouse.js'
import { importDriver, openStore } from '../../src/collector/stores/open.js'
import { type PgDriver, postgresStore } from '../../src/collector/stores/postgres.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/collector/stores/sqlite.js'
import type { AggregateQuery, AggregateRow, Store } from '../../src/collector/stores/store.js'
import { storesUnderTest } from './stores.js'

// What the SQL stores must get right beyond the conformance sums: migrations that can run again,
// values that never become SQL, and names that are checked before anything reaches a server.

const services = inject('services') ?? {}
const dir = mkdtempSync(join(tmpdir(), 'quietcount-stores-sql-'))
let count = 0
const opened: Store[] = []
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close().catch(() => {})))
  rmSync(dir, { recursive: true, force: true })
})

/** A URL for a fresh, empty database of the store `name` (not migrated). */
function freshUrl(name: string): string {
  const n = count++
  if (name == 'sqlite') return `sqlite:${join(dir, `store-${n}.db`)}`
  return services[name]!.url.replace('{db}', `qc_sql_${process.pid}_${Date.now()}_${n}`)
}
async function open(url: string): Promise<Store> {
  const store = await openStore(url)
  opened.push(store)
  return store
}

const pageRow = (site: string, path: string, views = 1, hour = 500_000): Row => ({
  table: 'pages',
  site,
  hour,
  dims: Object.fromEntries(TABLES.pages.dimensions.map((d) => [d, d == 'path' ? path : ''])),
  counts: Object.fromEntries(TABLES.pages.counters.map((c) => [c, c == 'views' ? views : 0])),
})
const views = async (store: Store, query: Omit<AggregateQuery<'pages'>, 'table' | 'from' | 'to'>) =>
  (await store.query({ table: 'pages', from: 0, to: 10 ** 7, ...query })).map((row): AggregateRow => ({ ...row, views: Number(row.views ?? 0) }))

/** Values a site or a visitor's page can carry (NUL apart: PostgreSQL stores it as U+FFFD, tested below). */
const HOSTILE = [
  "'",
  "''",
  '\\',
  "\\'",
  "\\\\'",
  "'; DROP TABLE pages; --",
  '"; DROP TABLE pages; --',
  "Robert'); DROP TABLE events;--",
  '`pages`',
  '$1 ? :name {p:String} %s',
  '%_*[a-z]',
  'tab\tnewline\nreturn\rbell\u0007del\u007f',
  'üñíçødé 中文 العربية 😀 👩‍👩‍👧‍👦',
  'e\u0301 \u202Eevil\u202C \u2028\u2029 \uFEFF',
  'x'.repeat(300),
  "'".repeat(300),
  '\\'.repeat(300),
  '😀'.repeat(150),
]

for (const underTest of storesUnderTest()) {
  const suite = underTest.missing ? describe.skip : describe
  suite(`${underTest.name} store${underTest.missing ? ` (skipped: ${underTest.missing})` : ''}`, () => {
    it('migrates a fresh database, and again without effect, keeping the counts', async () => {
      const url = freshUrl(underTest.name)
      const store = await open(url)
      await store.migrate()
      await store.write([pageRow('m.test', '/')])
      await store.migrate()
      await store.migrate()
      const again = await open(url)
      await again.migrate()
      await again.write([pageRow('m.test', '/', 2)])
      expect(await views(store, { site: 'm.test', groupBy: ['path'] })).toMatchObject([{ path: '/', views: 3 }])
    })

    it('migrates concurrently from two collectors at once', async () => {
      const url = freshUrl(underTest.name)
      const [a, b] = [await open(url), await open(url)]
      await Promise.all([a.migrate(), b.migrate()])
      await Promise.all([a.write([pageRow('c.test', '/')]), b.write([pageRow('c.test', '/')])])
      expect(await views(a, { site: 'c.test' })).toMatchObject([{ views: 2 }])
    })

    it('keeps hostile dimension values and site ids exactly, through write and query', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      // Twice, in separate writes: ClickHouse then holds unmerged parts that sum() must add up.
      for (let i = 0; i < 2; i++) await store.write([...HOSTILE.map((value) => pageRow('hostile.test', value)), ...HOSTILE.map((value) => pageRow(value, '/'))])
      const grouped = await views(store, { site: 'hostile.test', groupBy: ['path'] })
      expect(grouped.map((row) => row.path).sort()).toEqual([...new Set(HOSTILE)].sort())
      expect(grouped.every((row) => row.views == 2)).toBe(true)
      for (const value of HOSTILE) {
        expect(await views(store, { site: 'hostile.test', filters: { path: value }, groupBy: ['path'] })).toMatchObject([{ path: value, views: 2 }])
        expect(await views(store, { site: value, groupBy: ['path'] })).toMatchObject([{ path: '/', views: 2 }])
      }
      // Nothing was dropped or rewritten on the way.
      expect(await views(store, { site: 'hostile.test' })).toMatchObject([{ views: 2 * HOSTILE.length }])
    })

    it('takes a NUL character in a value without failing the batch (PostgreSQL keeps it as U+FFFD)', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      await store.write([pageRow('nul.test', '/a\0b'), pageRow('nul.test', '/ok'), pageRow('nul\0.test', '/')])
      const stored = underTest.name == 'postgres' ? '/a\uFFFDb' : '/a\0b'
      expect(await views(store, { site: 'nul.test', groupBy: ['path'] })).toMatchObject([{ path: stored, views: 1 }, { path: '/ok', views: 1 }].sort((a, b) => (a.path < b.path ? -1 : 1)))
      expect(await views(store, { site: 'nul.test', filters: { path: '/a\0b' } })).toMatchObject([{ views: 1 }])
      expect(await views(store, { site: 'nul\0.test' })).toMatchObject([{ views: 1 }])
      // Two keys that PostgreSQL stores as one, in one write.
      await store.write([pageRow('nul2.test', '/x\0'), pageRow('nul2.test', '/x\uFFFD')])
      expect(await views(store, { site: 'nul2.test' })).toMatchObject([{ views: 2 }])
      expect(await views(store, { site: 'nul2.test', filters: { path: '/x\uFFFD' } })).toMatchObject([{ views: underTest.name == 'postgres' ? 2 : 1 }])
    })

    it('takes lone UTF-16 surrogates (JSON.parse lets them through) without failing the batch', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      await store.write([pageRow('lone.test', '/a\ud800b'), pageRow('lone.test', '/\udc00'), pageRow('lone.test', '/ok'), pageRow('lone\ud800.test', '/')])
      expect(await views(store, { site: 'lone.test' })).toMatchObject([{ views: 3 }])
      for (const path of ['/a\ud800b', '/\udc00', '/ok']) expect(await views(store, { site: 'lone.test', filters: { path } })).toMatchObject([{ views: 1 }])
      expect(await views(store, { site: 'lone\ud800.test' })).toMatchObject([{ views: 1 }])
    })

    it('keeps arbitrary Unicode strings exactly (property)', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => !s.includes('\0')), async (value) => {
          const site = `property-${run++}`
          await store.write([pageRow(site, value)])
          const rows = await views(store, { site, filters: { path: value }, groupBy: ['path'] })
          expect(rows).toEqual([expect.objectContaining({ path: value, views: 1 })])
        }),
        { numRuns: 40 },
      )
    })

    it('refuses unknown tables and columns, and leaves the store working', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      await store.write([pageRow('r.test', '/')])
      for (const query of BAD_QUERIES) await expect(store.query(query as AggregateQuery)).rejects.toThrow(/has no dimension|unknown table/)
      expect(await views(store, { site: 'r.test' })).toMatchObject([{ views: 1 }])
    })

    it('adds rows of the same key within one write and across writes, in any table', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      const event: Row = { table: 'events', site: 'd.test', hour: 500_000, dims: { name: 'Signup' }, counts: { count: 2 } }
      await store.write([pageRow('d.test', '/'), event, pageRow('d.test', '/', 4), event, pageRow('d.test', '/b')])
      await store.write([event])
      expect(await views(store, { site: 'd.test', groupBy: ['path'] })).toMatchObject([{ path: '/', views: 5 }, { path: '/b', views: 1 }])
      expect(await store.query({ table: 'events', site: 'd.test', from: 0, to: 10 ** 7, groupBy: ['name'] })).toEqual([{ name: 'Signup', count: 6 }])
    })

    it('returns counters and hours as numbers, dimension values as strings', async () => {
      const store = await open(freshUrl(underTest.name))
      await store.migrate()
      await store.write([pageRow('n.test', '/a', 5, 490_001)])
      expect(await store.query({ table: 'pages', site: 'n.test', from: 0, to: 10 ** 7, groupBy: ['hour', 'path'] })).toEqual([
        { hour: 490_001, path: '/a', views: 5, visits: 0, visitors_day: 0, visitors_month: 0, seconds: 0, scroll: 0 },
      ])
    })
  })
}

/** Names that are not in TABLES, some of them SQL. */
const BAD_QUERIES = [
  { table: 'pages', site: 's', from: 0, to: 1, groupBy: ['password'] },
  { table: 'pages', site: 's', from: 0, to: 1, groupBy: ['path; DROP TABLE pages'] },
  { table: 'pages', site: 's', from: 0, to: 1, groupBy: ['views'] },
  { table: 'pages', site: 's', from: 0, to: 1, groupBy: ['name'] },
  { table: 'pages', site: 's', from: 0, to: 1, filters: { 'path = path OR 1 = 1 --': 'x' } },
  { table: 'pages', site: 's', from: 0, to: 1, filters: { hour: '1' } },
  { table: 'pages', site: 's', from: 0, to: 1, groupBy: ['__proto__'] },
  { table: 'pages; DROP TABLE pages', site: 's', from: 0, to: 1 },
  { table: 'quietcount_migrations', site: 's', from: 0, to: 1 },
  { table: 'constructor', site: 's', from: 0, to: 1 },
]

describe('sqlite upgrades', () => {
  it('rebuilds a version-1 database as tables clustered on their key, keeping every count', async () => {
    // A database as version 1 left it (its migration, run by hand): rowid tables with the key as a separate index.
    const file = join(dir, 'version-1.db')
    const old = new Database(file)
    old.exec('CREATE TABLE quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    for (const sql of SQLITE_MIGRATIONS[0]!) old.exec(sql)
    old.prepare("INSERT INTO quietcount_migrations VALUES (1, '2026-11-01T00:00:00.000Z')").run()
    old.close()
    const before = await open(`sqlite:${file}`)
    await before.write([pageRow('up.test', '/a', 3), pageRow('up.test', '/b', 4, 500_001), ...HOSTILE.map((value) => pageRow('up.test', value))])
    await before.close()

    const store = await open(`sqlite:${file}`)
    await store.migrate()
    await store.migrate()
    const db = new Database(file, { readonly: true })
    const schema = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'quietcount_%'").all() as { name: string; sql: string }[]
    expect(schema.map((t) => t.name).sort()).toEqual(Object.keys(TABLES).sort())
    expect(schema.every((t) => t.sql.endsWith('WITHOUT ROWID'))).toBe(true)
    expect(db.prepare('SELECT version FROM quietcount_migrations ORDER BY version').pluck().all()).toEqual([1, 2])
    db.close()
    expect(await views(store, { site: 'up.test', filters: { path: '/a' } })).toMatchObject([{ views: 3 }])
    expect(await views(store, { site: 'up.test', groupBy: ['hour'] })).toMatchObject([{ hour: 500_000, views: 3 + HOSTILE.length }, { hour: 500_001, views: 4 }])
    expect((await views(store, { site: 'up.test', groupBy: ['path'] })).map((row) => row.path).sort()).toEqual([...new Set(['/a', '/b', ...HOSTILE])].sort())
    // Writes after the upgrade still add to the same rows.
    await store.write([pageRow('up.test', '/a', 2)])
    expect(await views(store, { site: 'up.test', filters: { path: '/a' } })).toMatchObject([{ views: 5 }])
  })
})

describe('unknown names are refused before any SQL is sent', () => {
  /** Drivers that record every statement and connection instead of sending it. */
  const sent: string[] = []
  const pg: PgDriver = {
    Pool: class {
      async connect() {
        sent.push('connect')
        return { query: async (q: { text: string }) => (sent.push(q.text), { rows: [] }), release: () => {} }
      }
      async query(text: string) {
        sent.push(text)
        return { rows: [] }
      }
      on() {}
      async end() {}
    },
  }
  const clickhouse: ClickHouseDriver = {
    createClient: () => ({
      command: async ({ query }) => sent.push(query),
      query: async ({ query }) => (sent.push(query), { json: async () => [] }),
      insert: async ({ table }) => sent.push(`INSERT ${table}`),
      close: async () => {},
    }),
  }
  const stores: [string, Store][] = [
    ['postgres', postgresStore('postgres://u@127.0.0.1:1/db', pg)],
    ['clickhouse', clickhouseStore('clickhouse://127.0.0.1:1/db', clickhouse)],
  ]

  it.each(stores)('%s', async (_, store) => {
    for (const query of BAD_QUERIES) await expect(store.query(query as AggregateQuery)).rejects.toThrow(/has no dimension|unknown table/)
    expect(sent).toEqual([])
    // The same fake does record a good query, so the empty list above means something.
    await store.query({ table: 'pages', site: 's', from: 0, to: 1, groupBy: ['path'] })
    expect(sent).toHaveLength(1)
    sent.length = 0
  })

  it('clickhouse also refuses values that are not strings or whole hours', async () => {
    const store = stores[1]![1]
    for (const query of [
      { table: 'pages', site: 's', from: '0 OR 1 = 1', to: 1 },
      { table: 'pages', site: 's', from: 0, to: 1.5 },
      { table: 'pages', site: 's', from: 0, to: Infinity },
      { table: 'pages', site: 7, from: 0, to: 1 },
      { table: 'pages', site: 's', from: 0, to: 1, filters: { path: ['a'] } },
    ]) {
      await expect(store.query(query as unknown as AggregateQuery)).rejects.toThrow(/not an integer|not a string/)
    }
    expect(sent).toEqual([])
  })
})

describe('clickhouse SQL', () => {
  it('escapes string literals as ClickHouse reads them', () => {
    expect(clickhouseString("it's")).toBe("'it\\'s'")
    expect(clickhouseString('a\\b')).toBe("'a\\\\b'")
    expect(clickhouseString("\\'; DROP TABLE pages; --")).toBe("'\\\\\\'; DROP TABLE pages; --'")
    expect(clickhouseString('\n\t\0')).toBe("'\\n\\t\\0'")
  })

  it('builds the query from TABLES names and escaped values only', () => {
    expect(aggregateSql('qc', { table: 'events', site: "o'hara", from: 1, to: 2, filters: { name: 'a\\' }, groupBy: ['hour'] })).toBe(
      "SELECT hour, sum(count) AS count FROM `qc`.events WHERE site = 'o\\'hara' AND hour >= 1 AND hour < 2 AND name = 'a\\\\' GROUP BY hour ORDER BY hour",
    )
  })

  it('creates summing tables keyed by site, hour and every dimension, fsync settings when the server has them', () => {
    expect(createTable('qc', 'consents')).toBe(
      'CREATE TABLE IF NOT EXISTS `qc`.consents (site String, hour UInt32, decision String, categories String, count Int64, _writes UInt64) ' +
        'ENGINE = SummingMergeTree((count, _writes)) ORDER BY (site, hour, decision, categories)',
    )
    expect(createTable('qc', 'consents', ['fsync_after_insert'])).toMatch(/ SETTINGS fsync_after_insert = 1$/)
  })

  it('reads clickhouse:// and http(s):// URLs, and refuses database names that are not identifiers', () => {
    expect(clickhouseConfig('clickhouse://ch.internal/stats')).toEqual({ url: 'http://ch.internal:8123', database: 'stats' })
    expect(clickhouseConfig('https://user:p%40ss@ch.example:8443/stats')).toEqual({ url: 'https://ch.example:8443', database: 'stats', username: 'user', password: 'p@ss' })
    expect(clickhouseConfig('http://127.0.0.1:8123')).toEqual({ url: 'http://127.0.0.1:8123', database: 'default' })
    expect(() => clickhouseConfig('clickhouse://h/stats;DROP')).toThrow(/database name "stats;DROP"/)
    expect(() => clickhouseConfig('clickhouse://h/a%60b')).toThrow(/database name/)
  })

  const server = services.clickhouse
  ;(server && !server.missing ? it : it.skip)('round-trips any string literal through the server (property)', async () => {
    const client = createClient({ url: clickhouseConfig(server!.url.replace('{db}', 'default')).url })
    try {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (value) => {
          const [row] = (await (await client.query({ query: `SELECT ${clickhouseString(value)} AS v`, format: 'JSONEachRow' })).json()) as { v: string }[]
          expect(row!.v).toBe(value)
        }),
        { numRuns: 200 },
      )
    } finally {
      await client.close()
    }
  })
})

describe('openStore without the optional drivers', () => {
  const failing = (message: string, code = 'ERR_MODULE_NOT_FOUND') => () => Promise.reject(Object.assign(new Error(message), { code }))

  it('says which package to install when the driver itself is missing', async () => {
    await expect(importDriver('pg', 'postgres', failing("Cannot find package 'pg' imported from /app/open.js"))).rejects.toThrow('the postgres store needs the package "pg": npm install pg')
    await expect(importDriver('@clickhouse/client', 'clickhouse', failing("Cannot find package '@clickhouse/client' imported from /app/open.js"))).rejects.toThrow(
      'the clickhouse store needs the package "@clickhouse/client": npm install @clickhouse/client',
    )
  })

  it('passes on other failures, such as a package missing inside the driver', async () => {
    await expect(importDriver('pg', 'postgres', failing("Cannot find package 'pg-pool' imported from /app/node_modules/pg/lib/index.js"))).rejects.toThrow("'pg-pool'")
    await expect(importDriver('pg', 'postgres', failing('boom', 'EACCES'))).rejects.toThrow('boom')
  })

  it('loads the installed drivers', async () => {
    expect(typeof (await importDriver('pg', 'postgres', () => import('pg'))).default.Pool).toBe('function')
  })
})
