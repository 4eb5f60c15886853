import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { type Row, TABLES, type Table } from '../../src/collector/schema.js'
import type { Site } from '../../src/collector/sites/sites.js'
import { refuseUnderK } from '../../src/collector/stats/k-anonymity.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import { type ClickHouseDriver, clickhouseConfig, clickhouseDialect, clickhouseStore, clickhouseString } from '../../src/collector/stores/clickhouse/index.js'
import { migration as clickhouseV1 } from '../../src/collector/stores/clickhouse/migrations/001-counter-tables.js'
import { importDriver, openStore } from '../../src/collector/stores/open.js'
import { type PgDriver, postgresStore } from '../../src/collector/stores/postgres/index.js'
import { migration as postgresV1 } from '../../src/collector/stores/postgres/migrations/001-counter-tables.js'
import { aggregate } from '../../src/collector/stores/sql.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/collector/stores/sqlite/migrations/index.js'
import { workerConnection } from '../../src/collector/stores/sqlite/worker-connection.js'
import type { AggregateQuery, Store } from '../../src/collector/stores/store.js'
import { describeStore, dumpTables, storesUnderTest } from './stores.js'

// What the stores must get right beyond the conformance sums: migrations that can run again (and
// upgrade a version-2 store to identical figures), schemas that match TABLES, values that never
// become SQL, names checked before anything reaches a server, ordering and cuts, expiry.

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
  if (name === 'sqlite') return `sqlite:${join(dir, `store-${n}.db`)}`
  return services[name]!.url.replace('{db}', `qc_sql_${process.pid}_${Date.now()}_${n}`)
}
async function open(url: string): Promise<Store> {
  const store = await openStore(url)
  opened.push(store)
  return store
}
async function fresh(name: string): Promise<Store> {
  const store = await open(freshUrl(name))
  await store.migrate()
  return store
}

const ALL = 10 ** 7
const pageRow = (site: string, path: string, views = 1, hour = 500_000): Row => ({
  table: 'detail_pages',
  site,
  time: hour,
  dims: Object.fromEntries(TABLES.detail_pages.dimensions.map((d) => [d, d === 'path' ? path : ''])),
  counts: Object.fromEntries(TABLES.detail_pages.counters.map((c) => [c, c === 'views' ? views : 0])),
})
const dailyRow = (site: string, dimension: string, value: string, counts: Record<string, number>, day = 20_000, parent = ''): Row => ({
  table: 'daily',
  site,
  time: day,
  dims: { dimension, parent, value },
  counts,
})
const one = async (store: Store, query: AggregateQuery) => (await store.query([query]))[0]!
const pages = (site: string, extra: Partial<AggregateQuery> = {}): AggregateQuery => ({ site, parts: [{ table: 'detail_pages', from: 0, to: ALL }], ...extra })

/** Values a site or a visitor's page can carry (NUL apart: PostgreSQL stores it as U+FFFD, tested below). */
const HOSTILE = [
  "'",
  "''",
  '\\',
  "\\'",
  "\\\\'",
  "'; DROP TABLE detail_pages; --",
  '"; DROP TABLE detail_pages; --',
  "Robert'); DROP TABLE daily;--",
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
  describeStore(underTest, 'store', () => {
    it('migrates a fresh database, and again without effect, keeping the counts; its tables are TABLES, column for column', async () => {
      const url = freshUrl(underTest.name)
      const store = await open(url)
      await store.migrate()
      await store.write([pageRow('m.test', '/')])
      await store.migrate()
      const again = await open(url)
      await again.migrate()
      await again.write([pageRow('m.test', '/', 2)])
      expect(await one(store, pages('m.test', { groupBy: ['path'] }))).toMatchObject([{ path: '/', views: 3 }])
      const tables = Object.fromEntries(Object.entries(await dumpTables(underTest.name, url)).map(([table, { columns }]) => [table, columns]))
      for (const [table, spec] of Object.entries(TABLES)) {
        const columns = ['site', spec.time, ...spec.dimensions, ...spec.counters, ...(underTest.name === 'clickhouse' ? ['_writes'] : [])]
        expect(tables[table]?.slice().sort(), table).toEqual(columns.sort())
      }
      // Version 2's wide tables are gone; nothing but the tiers, the cutoffs, the replays and the migrations' own.
      expect(Object.keys(tables).sort()).toEqual([...Object.keys(TABLES), 'detail_cutoffs', 'quietcount_migrations', 'quietcount_replays'].sort())
    })

    it('migrates concurrently from two collectors at once', async () => {
      const url = freshUrl(underTest.name)
      const [a, b] = [await open(url), await open(url)]
      await Promise.all([a.migrate(), b.migrate()])
      await Promise.all([a.write([pageRow('c.test', '/')]), b.write([pageRow('c.test', '/')])])
      expect(await one(a, pages('c.test'))).toMatchObject([{ views: 2 }])
    })

    it('keeps hostile dimension values and site ids exactly, through write and query, in detail and marginal rows', async () => {
      const store = await fresh(underTest.name)
      // Twice, in separate writes: ClickHouse then holds unmerged parts that sum() must add up.
      for (let i = 0; i < 2; i++) {
        await store.write([
          ...HOSTILE.map((value) => pageRow('hostile.test', value)),
          ...HOSTILE.map((value) => pageRow(value, '/')),
          ...HOSTILE.map((value) => dailyRow('hostile.test', 'path', value, { views: 1 }, 20_000, value)),
        ])
      }
      const grouped = await one(store, pages('hostile.test', { groupBy: ['path'] }))
      expect(grouped.map((row) => row.path).sort()).toEqual([...new Set(HOSTILE)].sort())
      expect(grouped.every((row) => row.views === 2)).toBe(true)
      const daily = { site: 'hostile.test', parts: [{ table: 'daily' as Table, from: 0, to: ALL }] }
      for (const value of HOSTILE) {
        expect(await one(store, pages('hostile.test', { filters: { path: value }, groupBy: ['path'] }))).toMatchObject([{ path: value, views: 2 }])
        expect(await one(store, pages(value, { groupBy: ['path'] }))).toMatchObject([{ path: '/', views: 2 }])
        expect(await one(store, { ...daily, filters: { dimension: 'path', parent: value, value }, groupBy: ['parent', 'value'] })).toMatchObject([
          { parent: value, value, views: 2 },
        ])
      }
      expect(await one(store, pages('hostile.test'))).toMatchObject([{ views: 2 * HOSTILE.length }])
    })

    it('takes a NUL character in a value without failing the batch (PostgreSQL keeps it as U+FFFD)', async () => {
      const store = await fresh(underTest.name)
      await store.write([pageRow('nul.test', '/a\0b'), pageRow('nul.test', '/ok'), pageRow('nul\0.test', '/')])
      const stored = underTest.name === 'postgres' ? '/a\uFFFDb' : '/a\0b'
      expect(await one(store, pages('nul.test', { groupBy: ['path'] }))).toMatchObject(
        [
          { path: stored, views: 1 },
          { path: '/ok', views: 1 },
        ].sort((a, b) => (a.path < b.path ? -1 : 1)),
      )
      expect(await one(store, pages('nul.test', { filters: { path: '/a\0b' } }))).toMatchObject([{ views: 1 }])
      expect(await one(store, pages('nul\0.test'))).toMatchObject([{ views: 1 }])
      // Two keys that PostgreSQL stores as one, in one write.
      await store.write([pageRow('nul2.test', '/x\0'), pageRow('nul2.test', '/x\uFFFD')])
      expect(await one(store, pages('nul2.test'))).toMatchObject([{ views: 2 }])
      expect(await one(store, pages('nul2.test', { filters: { path: '/x\uFFFD' } }))).toMatchObject([{ views: underTest.name === 'postgres' ? 2 : 1 }])
    })

    it('takes lone UTF-16 surrogates (JSON.parse lets them through) without failing the batch', async () => {
      const store = await fresh(underTest.name)
      await store.write([pageRow('lone.test', '/a\ud800b'), pageRow('lone.test', '/\udc00'), pageRow('lone.test', '/ok'), pageRow('lone\ud800.test', '/')])
      expect(await one(store, pages('lone.test'))).toMatchObject([{ views: 3 }])
      for (const path of ['/a\ud800b', '/\udc00', '/ok']) expect(await one(store, pages('lone.test', { filters: { path } }))).toMatchObject([{ views: 1 }])
      expect(await one(store, pages('lone\ud800.test'))).toMatchObject([{ views: 1 }])
    })

    it('keeps arbitrary Unicode strings exactly (property)', async () => {
      const store = await fresh(underTest.name)
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => !s.includes('\0')),
          async (value) => {
            const site = `property-${run++}`
            await store.write([pageRow(site, value)])
            expect(await one(store, pages(site, { filters: { path: value }, groupBy: ['path'] }))).toEqual([expect.objectContaining({ path: value, views: 1 })])
          },
        ),
        { numRuns: 40 },
      )
    })

    it('refuses unknown tables, columns and counters, and leaves the store working', async () => {
      const store = await fresh(underTest.name)
      await store.write([pageRow('r.test', '/')])
      for (const query of BAD_QUERIES)
        await expect(store.query([query as AggregateQuery])).rejects.toThrow(
          /has no|unknown table|same columns|need a weight|takes one part|not an integer|not a string|at least one part/,
        )
      expect(await one(store, pages('r.test'))).toMatchObject([{ views: 1 }])
    })

    it('adds rows of the same key within one write and across writes, in every table', async () => {
      const store = await fresh(underTest.name)
      const event: Row = { table: 'detail_events', site: 'd.test', time: 500_000, dims: { name: 'Signup' }, counts: { events: 2 } }
      const total: Row = { table: 'totals', site: 'd.test', time: 500_000, dims: {}, counts: { views: 1, undetailed: 1 } }
      const month: Row = { table: 'monthly', site: 'd.test', time: 24_300, dims: { dimension: 'country', parent: '', value: 'ES' }, counts: { views: 1, decisions: 3 } }
      await store.write([pageRow('d.test', '/'), event, total, month, pageRow('d.test', '/', 4), event, total, month, pageRow('d.test', '/b')])
      await store.write([event, total, month])
      expect(await one(store, pages('d.test', { groupBy: ['path'] }))).toMatchObject([
        { path: '/', views: 5 },
        { path: '/b', views: 1 },
      ])
      expect(await one(store, { site: 'd.test', parts: [{ table: 'detail_events', from: 0, to: ALL }], groupBy: ['name'] })).toEqual([{ name: 'Signup', events: 6 }])
      expect(await one(store, { site: 'd.test', parts: [{ table: 'totals', from: 0, to: ALL }], groupBy: ['time'] })).toMatchObject([{ time: 500_000, views: 3, undetailed: 3 }])
      expect(await one(store, { site: 'd.test', parts: [{ table: 'monthly', from: 0, to: ALL }], groupBy: ['value'] })).toMatchObject([{ value: 'ES', views: 3, decisions: 9 }])
    })

    it('replays spooled batches once each: again after a lost answer, overlapping, per spool, in every table', async () => {
      const store = await fresh(underTest.name)
      const event: Row = { table: 'detail_events', site: 'r.test', time: 500_000, dims: { name: 'Signup' }, counts: { events: 1 } }
      const total: Row = { table: 'totals', site: 'r.test', time: 500_000, dims: {}, counts: { views: 1 } }
      const month: Row = { table: 'monthly', site: 'r.test', time: 24_300, dims: { dimension: 'country', parent: '', value: 'ES' }, counts: { views: 1 } }
      const batch = (seq: number) => ({ seq, rows: [pageRow('r.test', '/'), event, total, month] })
      const sums = async () => [
        (await one(store, pages('r.test')))[0]!.views,
        (await one(store, { site: 'r.test', parts: [{ table: 'detail_events', from: 0, to: ALL }] }))[0]!.events,
        (await one(store, { site: 'r.test', parts: [{ table: 'totals', from: 0, to: ALL }] }))[0]!.views,
        (await one(store, { site: 'r.test', parts: [{ table: 'monthly', from: 0, to: ALL }] }))[0]!.views,
      ]
      await store.replay('aaaaaaaaaaaaaaaa', [batch(1), batch(2), batch(3)])
      expect(await sums()).toEqual([3, 3, 3, 3])
      // The same batches again (the answer was lost), and more after them: only the new ones count.
      await store.replay('aaaaaaaaaaaaaaaa', [batch(1), batch(2), batch(3), batch(4), batch(5)])
      expect(await sums()).toEqual([5, 5, 5, 5])
      await store.replay('aaaaaaaaaaaaaaaa', [batch(4), batch(5)])
      await store.replay('aaaaaaaaaaaaaaaa', [])
      expect(await sums()).toEqual([5, 5, 5, 5])
      // Another spool's numbers are its own.
      await store.replay('bbbbbbbbbbbbbbbb', [batch(1)])
      expect(await sums()).toEqual([6, 6, 6, 6])
    })

    it('returns counters and times as numbers, dimension values as strings', async () => {
      const store = await fresh(underTest.name)
      await store.write([pageRow('n.test', '/a', 5, 490_001)])
      expect(await one(store, pages('n.test', { groupBy: ['time', 'path'] }))).toEqual([
        { time: 490_001, path: '/a', views: 5, visits: 0, visitors_day: 0, visitors_month: 0, seconds: 0, scroll: 0 },
      ])
    })

    it('orders groups by weight, then page views, then byte order; keeps those within bounds, at most the limit; folds the rest', async () => {
      const store = await fresh(underTest.name)
      const row = (value: string, counts: Record<string, number>, day = 20_000) => dailyRow('o.test', 'referrer', value, counts, day)
      await store.write([
        row('b', { visitors_day: 5, visits: 1, views: 9 }),
        row('a', { visitors_day: 2, visits: 5, views: 9 }),
        row('c', { visitors_day: 5, visits: 0, views: 20 }),
        row('é', { visitors_day: 1, visits: 1, views: 1 }),
        row('z', { visitors_day: 1, visits: 1, views: 1 }),
        row('events only', { events: 4 }),
        row('a', { visitors_day: 1 }, 20_031),
        { table: 'monthly', site: 'o.test', time: 658, dims: { dimension: 'referrer', parent: '', value: 'a' }, counts: { visitors_day: 10, visits: 10, views: 10 } },
      ])
      const base = {
        site: 'o.test',
        parts: [{ table: 'daily' as Table, from: 20_000, to: 20_001 }],
        filters: { dimension: 'referrer' },
        groupBy: ['value'],
        weight: 'people' as const,
      }
      const values = async (q: Partial<AggregateQuery>) => (await one(store, { ...base, ...q })).map((g) => g.value)
      // c and b weigh 5 (c has more views), a 5 too (its visits), fewer views than c, tie with b on views: byte order.
      expect(await values({})).toEqual(['c', 'a', 'b', 'z', 'é', 'events only'])
      expect(await values({ limit: 2 })).toEqual(['c', 'a'])
      expect(await values({ min: 2 })).toEqual(['c', 'a', 'b'])
      expect(await values({ below: 2, counted: ['views', 'visits'] })).toEqual(['z', 'é'])
      expect(await one(store, { ...base, below: 5, fold: true })).toEqual([
        { views: 2, visits: 2, visitors_day: 2, visitors_month: 0, seconds: 0, scroll: 0, events: 4, decisions: 0, folded: 3 },
      ])
      expect(await one(store, { ...base, min: 100, fold: true })).toMatchObject([{ views: 0, folded: 0 }])
      // Parts of the same shape add up: a month and a day of another month.
      const both = await one(store, {
        ...base,
        parts: [
          { table: 'monthly', from: 658, to: 659 },
          { table: 'daily', from: 20_031, to: 20_032 },
        ],
        weight: 'views',
      })
      expect(both).toMatchObject([{ value: 'a', views: 10, visitors_day: 11 }])
    })

    it('answers weighted queries of the same groups in one batch exactly as each alone (SQLite and PostgreSQL group them once)', async () => {
      const store = await fresh(underTest.name)
      const row = (value: string, counts: Record<string, number>, day: number) => dailyRow('t.test', 'path', value, counts, day)
      await store.write([
        row('/a', { views: 9, visits: 1, visitors_day: 1, seconds: 30 }, 20_000),
        row('/a', { views: 1, visits: 3, visitors_day: 3 }, 20_001),
        row('/b', { views: 4, visits: 4, visitors_day: 2 }, 20_000),
        row('/c', { views: 2, visits: 0, visitors_day: 2 }, 20_001),
        row('/ñ', { views: 1, visits: 1, visitors_day: 1 }, 20_001),
        row('/events', { events: 7 }, 20_000),
        dailyRow('t.test/import', 'path', '/b', { views: 5, visits: 5, visitors_day: 5 }, 20_000),
        dailyRow('t.test', 'referrer', '/a', { views: 100, visits: 100 }, 20_000),
      ])
      const base = {
        site: 't.test',
        imports: ['t.test/import'],
        parts: [{ table: 'daily' as Table, from: 20_000, to: 20_002 }],
        filters: { dimension: 'path', parent: '' },
        groupBy: ['value'],
      }
      const batch: AggregateQuery[] = [
        { ...base, weight: 'views', limit: 2, counted: ['views', 'visits', 'visitors_day', 'seconds'] },
        { ...base, weight: 'visits', min: 1, limit: 10 },
        { ...base, weight: 'people', min: 3 },
        { ...base, weight: 'people', below: 3, fold: true },
        { ...base, weight: 'views', min: 1000, fold: true },
        { ...base, filters: { dimension: 'referrer', parent: '' }, weight: 'views' },
        { ...base, weight: 'views', parts: [{ table: 'daily', from: 20_000, to: 20_001 }] },
      ]
      const together = await store.query(batch)
      const alone = await Promise.all(batch.map((q) => one(store, q)))
      expect(together).toEqual(alone)
      expect(together[0]!.map((g) => g.value)).toEqual(['/a', '/b'])
      expect(together[1]!.map((g) => g.value)).toEqual(['/b', '/a', '/ñ'])
      expect(together[3]).toEqual([{ views: 3, visits: 1, visitors_day: 3, visitors_month: 0, seconds: 0, scroll: 0, events: 7, decisions: 0, folded: 3 }])
      expect(together[4]).toMatchObject([{ views: 0, folded: 0 }])
    })

    it("expires a site's old detail only, remembers the latest cutoff, and keeps the marginals", async () => {
      const store = await fresh(underTest.name)
      await store.write([
        pageRow('e.test', '/old', 1, 100),
        pageRow('e.test', '/new', 1, 200),
        pageRow('other.test', '/old', 1, 100),
        dailyRow('e.test', 'path', '/old', { views: 1 }, 4),
      ])
      await store.write([
        { table: 'detail_events', site: 'e.test', time: 150, dims: { name: 'Old' }, counts: { events: 1 } },
        { table: 'totals', site: 'e.test', time: 100, dims: {}, counts: { views: 1 } },
      ])
      expect(await store.detailCutoff('e.test')).toBe(0)
      expect(await store.expireDetail('e.test', 180)).toBe(2)
      expect(await store.expireDetail('e.test', 120)).toBe(0)
      expect(await store.detailCutoff('e.test')).toBe(180)
      expect((await one(store, pages('e.test', { groupBy: ['path'] }))).map((g) => g.path)).toEqual(['/new'])
      expect(await one(store, { site: 'e.test', parts: [{ table: 'detail_events', from: 0, to: ALL }] })).toMatchObject([{ events: 0 }])
      expect(await one(store, pages('other.test'))).toMatchObject([{ views: 1 }])
      expect(await one(store, { site: 'e.test', parts: [{ table: 'daily', from: 0, to: ALL }] })).toMatchObject([{ views: 1 }])
      expect(await store.sites()).toEqual(['e.test'])
    })

    it("expires a site's marginals before the bounds only, keeps other sites and detail, and deletes a pseudo-site's every row with Infinity bounds", async () => {
      const store = await fresh(underTest.name)
      // Each row once, with its own views, so that a sum says which rows are left (and ClickHouse counts no unmerged duplicates).
      const marginals = (site: string): Row[] => [
        { table: 'totals', site, time: 99, dims: {}, counts: { views: 1 } },
        { table: 'totals', site, time: 100, dims: {}, counts: { views: 2 } },
        dailyRow(site, 'path', '/', { views: 4 }, 9),
        dailyRow(site, 'path', '/', { views: 8 }, 10),
        { table: 'monthly', site, time: 2, dims: { dimension: 'path', parent: '', value: '/' }, counts: { views: 16 } },
        { table: 'monthly', site, time: 3, dims: { dimension: 'path', parent: '', value: '/' }, counts: { views: 32 } },
      ]
      // An import's rows under a key of their own; the site whose id starts it must keep its rows.
      const imported = 'example.org/plausible-20240101-20241231'
      const colon = 'example.org:import/2024'
      await store.write([...marginals('e.test'), ...marginals('example.org'), ...marginals(imported), ...marginals(colon), pageRow('e.test', '/old', 1, 50)])
      const sums = async (site: string) =>
        Promise.all((['totals', 'daily', 'monthly'] as const).map(async (table) => Number((await one(store, { site, parts: [{ table, from: 0, to: ALL }] }))[0]!.views)))

      expect(await store.expireMarginals('e.test', { hour: 100, day: 10, month: 3 })).toBe(3)
      expect(await store.expireMarginals('e.test', { hour: 100, day: 10, month: 3 })).toBe(0)
      expect(await sums('e.test')).toEqual([2, 8, 32])
      // The detail tier is expireDetail's: an old detail row stays.
      expect(await one(store, pages('e.test'))).toMatchObject([{ views: 1 }])
      expect(await sums('example.org')).toEqual([3, 12, 48])

      const everything = { hour: Number.POSITIVE_INFINITY, day: Number.POSITIVE_INFINITY, month: Number.POSITIVE_INFINITY }
      expect(await store.expireMarginals(imported, everything)).toBe(6)
      expect(await sums(imported)).toEqual([0, 0, 0])
      // One table without a bound, the others bounded: each table by its own time column.
      expect(await store.expireMarginals(colon, { hour: Number.POSITIVE_INFINITY, day: 10, month: 0 })).toBe(3)
      expect(await sums(colon)).toEqual([0, 8, 48])
      expect(await sums('example.org')).toEqual([3, 12, 48])
      expect(await sums('e.test')).toEqual([2, 8, 32])
      expect(await store.sites()).toEqual(['e.test', 'example.org'])

      // A bound that is not a whole number or +Infinity never reaches SQL, and the store goes on.
      for (const bad of [Number.NaN, 1.5, Number.NEGATIVE_INFINITY]) {
        await expect(store.expireMarginals('e.test', { hour: 0, day: bad, month: 0 })).rejects.toThrow(`expireMarginals: the day bound ${bad} must be a whole number or Infinity`)
      }
      expect(await sums('e.test')).toEqual([2, 8, 32])
    })

    it('upgrades a version-2 store, made by the code of version 2, to the figures that code gave for 909 queries', async () => {
      const url = freshUrl(underTest.name)
      await loadVersion2(underTest.name, url)
      const store = await open(url)
      const timezones = Object.fromEntries(FIXTURE.sites.map((s) => [s.id, s.timezone]))
      await store.migrate({ timezoneOf: (site) => timezones[site] ?? 'UTC' })
      await store.migrate()
      // The fixture's last day is 2026-05-31: asked the next day, every day of it lies in a long window.
      const now = Date.UTC(2026, 5, 1, 12)
      const differences: string[] = []
      // Four at a time: ClickHouse answers each over HTTP, and 909 in a row take half a minute.
      const check = async ({ site, params, result: before }: (typeof FIXTURE.queries)[number]) => {
        const parsed = parseStatsQuery(new URLSearchParams(params), { ...FIXTURE.sites.find((s) => s.id === site)!, detailDays: 760 }, now)
        if (!parsed.ok) throw new Error(parsed.error.message)
        expect(await refuseUnderK(store, parsed.query)).toBeUndefined()
        const after = await runStats(store, parsed.query)
        const dimension = before.breakdown?.dimension as keyof NonNullable<typeof after.breakdowns> | undefined
        const figures = (r: unknown) => JSON.parse(JSON.stringify(r)) as unknown
        const got = figures({
          metrics: after.metrics,
          previous: after.previous,
          timeseries: before.timeseries && after.timeseries,
          breakdown: dimension && { dimension, ...after.breakdowns![dimension] },
        })
        const want = figures({ metrics: before.metrics, previous: before.previous, timeseries: before.timeseries, breakdown: before.breakdown })
        if (JSON.stringify(got) !== JSON.stringify(want)) differences.push(`${site} ${params}`)
      }
      for (let i = 0; i < FIXTURE.queries.length; i += 4) await Promise.all(FIXTURE.queries.slice(i, i + 4).map(check))
      expect(differences).toEqual([])
      // Two filters outside a 62-day window: the same store now says where the answer is missing.
      const later = parseStatsQuery(
        new URLSearchParams('from=2026-03-01&to=2026-03-31&filter=country:ES&filter=device:mobile&breakdown=page'),
        { ...FIXTURE.sites[0]!, detailDays: 62 },
        now,
      )
      if (!later.ok) throw new Error(later.error.message)
      expect((await runStats(store, later.query)).breakdowns!.page!.unavailable).toMatch(/need the detail tier, which keeps 62 days/)
    }, 120_000)
  })
}

/** Queries with names that are not in TABLES, some of them SQL, and other shapes a store must refuse. */
const BAD_QUERIES = [
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], groupBy: ['password'] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], groupBy: ['path; DROP TABLE detail_pages'] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], groupBy: ['views'] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], groupBy: ['name'] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], filters: { 'path = path OR 1 = 1 --': 'x' } },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], filters: { hour: '1' } },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], groupBy: ['__proto__'] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], weight: 'events' },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], weight: 'views; DROP TABLE daily' },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], limit: 5 },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], weight: 'views', counted: ['password'] },
  {
    site: 's',
    parts: [
      { table: 'detail_pages', from: 0, to: 1 },
      { table: 'daily', from: 0, to: 1 },
    ],
  },
  {
    site: 's',
    parts: [
      { table: 'daily', from: 0, to: 1 },
      { table: 'monthly', from: 0, to: 1 },
    ],
    groupBy: ['time'],
  },
  { site: 's', parts: [{ table: 'detail_pages; DROP TABLE daily', from: 0, to: 1 }] },
  { site: 's', parts: [{ table: 'quietcount_migrations', from: 0, to: 1 }] },
  { site: 's', parts: [{ table: 'constructor', from: 0, to: 1 }] },
  { site: 's', parts: [{ table: 'detail_pages', from: '0 OR 1 = 1', to: 1 }] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1.5 }] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], weight: 'views', min: '1 OR 1 = 1' },
  { site: 7, parts: [{ table: 'detail_pages', from: 0, to: 1 }] },
  { site: 's', parts: [{ table: 'detail_pages', from: 0, to: 1 }], filters: { path: ['a'] } },
  { site: 's', parts: [] },
]

const FIXTURE = JSON.parse(readFileSync('test/fixtures/store-v2.expected.json', 'utf8')) as {
  sites: Site[]
  queries: { site: string; params: string; result: { metrics: unknown; previous?: unknown; timeseries?: unknown; breakdown?: { dimension: string } } }[]
}

/**
 * Makes `url` a store at schema version 2 holding the fixture's counts: for SQLite, the checked-in
 * file itself; for PostgreSQL and ClickHouse (whose version 2 changed nothing), their frozen
 * version-1 DDL and the same rows, read from that file.
 */
async function loadVersion2(name: string, url: string) {
  const file = 'test/fixtures/store-v2.sqlite'
  if (name === 'sqlite') return copyFileSync(file, url.slice('sqlite:'.length))
  const source = new Database(file, { readonly: true })
  const tables = Object.fromEntries(['pages', 'events', 'consents'].map((t) => [t, source.prepare(`SELECT * FROM ${t}`).all() as Record<string, string | number>[]]))
  source.close()
  if (name === 'postgres') {
    const target = new URL(url)
    const admin = new pg.Client({ connectionString: url.replace(target.pathname, '/postgres') })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${target.pathname.slice(1)}`)
    await admin.end()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await postgresV1.up({ query: async (text, values) => (await client.query(text, values)).rows, timezoneOf: () => 'UTC' })
    await client.query('CREATE TABLE quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())')
    await client.query('INSERT INTO quietcount_migrations (version) VALUES (1)')
    for (const [table, rows] of Object.entries(tables)) {
      const columns = Object.keys(rows[0]!)
      for (let i = 0; i < rows.length; i += 1000) {
        const values: unknown[] = []
        const tuples = rows.slice(i, i + 1000).map((row) => `(${columns.map((c) => `$${values.push(row[c])}`).join(', ')})`)
        await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values)
      }
    }
    await client.end()
    return
  }
  const { url: http, database } = clickhouseConfig(url)
  const client = createClient({ url: http })
  const db = `\`${database}\``
  await client.command({ query: `CREATE DATABASE ${db}` })
  await clickhouseV1.up({
    db,
    settings: [],
    timezoneOf: () => 'UTC',
    command: async (query) => void (await client.command({ query })),
    rows: async () => [],
    insert: async () => {},
  })
  await client.command({ query: `CREATE TABLE ${db}.quietcount_migrations (version UInt32, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version` })
  await client.command({ query: `INSERT INTO ${db}.quietcount_migrations (version) VALUES (1)` })
  for (const [table, rows] of Object.entries(tables)) await client.insert({ table: `${db}.${table}`, values: rows.map((row) => ({ ...row, _writes: 1 })), format: 'JSONEachRow' })
  await client.close()
}

describe('sqlite upgrades and reads', () => {
  it('upgrades a version-1 database (its frozen migration, run by hand) through every version, keeping every count', async () => {
    const file = join(dir, 'version-1.db')
    const old = new Database(file)
    old.exec('CREATE TABLE quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    SQLITE_MIGRATIONS[0]!.up({ db: old, timezoneOf: () => 'UTC' })
    old.prepare("INSERT INTO quietcount_migrations VALUES (1, '2026-11-01T00:00:00.000Z')").run()
    const insert = old.prepare('INSERT INTO pages (site, hour, path, views) VALUES (?, ?, ?, ?)')
    for (const [path, hour, views] of [['/a', 500_000, 3], ['/b', 500_001, 4], ...HOSTILE.map((value) => [value, 500_000, 1])] as [string, number, number][])
      insert.run('up.test', hour, path, views)
    old.close()

    const store = await open(`sqlite:${file}`)
    await store.migrate()
    await store.migrate()
    const db = new Database(file, { readonly: true })
    expect(db.prepare('SELECT version FROM quietcount_migrations ORDER BY version').pluck().all()).toEqual(SQLITE_MIGRATIONS.map((m) => m.version))
    expect(
      (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ('detail_pages', 'daily')").pluck().all() as string[]).every((sql) =>
        sql.endsWith('WITHOUT ROWID'),
      ),
    ).toBe(true)
    db.close()
    expect(await one(store, pages('up.test', { filters: { path: '/a' } }))).toMatchObject([{ views: 3 }])
    expect(await one(store, pages('up.test', { groupBy: ['time'] }))).toMatchObject([
      { time: 500_000, views: 3 + HOSTILE.length },
      { time: 500_001, views: 4 },
    ])
    const marginal = await one(store, { site: 'up.test', parts: [{ table: 'daily', from: 0, to: ALL }], filters: { dimension: 'path', parent: '' }, groupBy: ['value'] })
    expect(marginal.map((g) => g.value).sort()).toEqual([...new Set(['/a', '/b', ...HOSTILE])].sort())
    expect(await one(store, { site: 'up.test', parts: [{ table: 'totals', from: 0, to: ALL }] })).toMatchObject([{ views: 7 + HOSTILE.length, undetailed: 0 }])
  })

  it('runs reads on a worker thread of their own, read-only: the caller keeps running while a long query does', async () => {
    const file = join(dir, 'reads.db')
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    const reads = workerConnection(db, file, { readonly: true, pragmas: [] })
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    try {
      // About a third of a second of SQLite work; on the caller's thread not a tick would pass.
      const [[result]] = (await reads.run([
        { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c', values: [], rows: true },
      ])) as [[{ n: number }]]
      expect(result.n).toBe(3_000_000)
      expect(ticks).toBeGreaterThan(10)
      await expect(reads.run([{ sql: 'CREATE TABLE t (x)', values: [] }])).rejects.toThrow(/readonly/)
    } finally {
      clearInterval(timer)
      await reads.close()
      db.close()
    }
  })
})

describe('unknown names are refused before any SQL is sent', () => {
  /** Drivers that record every statement and connection instead of sending it. */
  const sent: string[] = []
  const pgDriver: PgDriver = {
    Pool: class {
      async connect() {
        sent.push('connect')
        return {
          query: async (q: { text: string }) => {
            sent.push(q.text)
            return { rows: [] }
          },
          release: () => {},
          on: () => {},
        }
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
      query: async ({ query }) => {
        sent.push(query)
        return { json: async () => [] }
      },
      insert: async ({ table }) => sent.push(`INSERT ${table}`),
      close: async () => {},
    }),
  }
  const stores: [string, Store][] = [
    ['postgres', postgresStore('postgres://u@127.0.0.1:1/db', pgDriver)],
    ['clickhouse', clickhouseStore('clickhouse://127.0.0.1:1/db', clickhouse)],
  ]

  it.each(stores)('%s', async (_, store) => {
    for (const query of BAD_QUERIES) await expect(store.query([query as AggregateQuery])).rejects.toThrow()
    expect(sent).toEqual([])
    // The same fake does record a good query, so the empty list above means something.
    await store.query([pages('s', { groupBy: ['path'] })])
    expect(sent).toHaveLength(1)
    sent.length = 0
  })
})

describe('SQL', () => {
  it('escapes ClickHouse string literals as ClickHouse reads them', () => {
    expect(clickhouseString("it's")).toBe("'it\\'s'")
    expect(clickhouseString('a\\b')).toBe("'a\\\\b'")
    expect(clickhouseString("\\'; DROP TABLE pages; --")).toBe("'\\\\\\'; DROP TABLE pages; --'")
    expect(clickhouseString('\n\t\0')).toBe("'\\n\\t\\0'")
  })

  it('builds a breakdown from TABLES names and escaped values only: weight order, bounds and limit over the grouped sums', () => {
    const query: AggregateQuery = {
      site: "o'hara",
      parts: [
        { table: 'daily', from: 1, to: 3 },
        { table: 'monthly', from: 7, to: 8 },
      ],
      filters: { dimension: 'path', parent: '' },
      groupBy: ['value'],
      weight: 'people',
      min: 2,
      limit: 10,
    }
    const union =
      "SELECT value, dimension, parent, views, visits, visitors_day, visitors_month, seconds, scroll, events, decisions FROM `qc`.daily WHERE site = 'o\\'hara' AND day >= 1 AND day < 3 AND dimension = 'path' AND parent = ''"
    expect(aggregate(query, clickhouseDialect('qc')).text).toBe(
      `SELECT * FROM (SELECT value, SUM(views) AS views, SUM(visits) AS visits, SUM(visitors_day) AS visitors_day, SUM(visitors_month) AS visitors_month, SUM(seconds) AS seconds, SUM(scroll) AS scroll, SUM(events) AS events, SUM(decisions) AS decisions FROM (${union} UNION ALL ` +
        "SELECT value, dimension, parent, views, visits, visitors_day, visitors_month, seconds, scroll, events, decisions FROM `qc`.monthly WHERE site = 'o\\'hara' AND month >= 7 AND month < 8 AND dimension = 'path' AND parent = '') AS parts GROUP BY value) AS g " +
        'WHERE greatest(visitors_day, visits) >= 2 ORDER BY greatest(visitors_day, visits) DESC, views DESC, value ASC LIMIT 10',
    )
  })

  it('reads a short range of hours as seeks where the key column after time is filtered (SQLite, PostgreSQL)', () => {
    const sqlite = {
      bind: (v: string | number, values: unknown[]) => {
        values.push(v)
        return '?'
      },
      table: (t: string) => t,
      greatest: 'max',
      byteOrder: '',
      enumerate: true,
      materialized: ' MATERIALIZED',
    }
    expect(aggregate(pages('s', { parts: [{ table: 'detail_pages', from: 10, to: 13 }], filters: { path: '/a' } }), sqlite).text).toContain('hour IN (10, 11, 12) AND path = ?')
    expect(aggregate(pages('s', { parts: [{ table: 'detail_pages', from: 10, to: 13 }], filters: { country: 'ES' } }), sqlite).text).toContain(
      'hour >= 10 AND hour < 13 AND country = ?',
    )
  })

  it('reads clickhouse:// and http(s):// URLs, and refuses database names that are not identifiers', () => {
    expect(clickhouseConfig('clickhouse://ch.internal/stats')).toEqual({ url: 'http://ch.internal:8123', database: 'stats' })
    expect(clickhouseConfig('https://user:p%40ss@ch.example:8443/stats')).toEqual({ url: 'https://ch.example:8443', database: 'stats', username: 'user', password: 'p@ss' })
    expect(clickhouseConfig('http://127.0.0.1:8123')).toEqual({ url: 'http://127.0.0.1:8123', database: 'default' })
    expect(() => clickhouseConfig('clickhouse://h/stats;DROP')).toThrow(/database name "stats;DROP"/)
    expect(() => clickhouseConfig('clickhouse://h/a%60b')).toThrow(/database name/)
  })

  describeStore(storesUnderTest().find((s) => s.name === 'clickhouse')!, 'ClickHouse string literals', () => {
    it('round-trips any string literal through the ClickHouse server (property)', async () => {
      const client = createClient({ url: clickhouseConfig(services.clickhouse!.url.replace('{db}', 'default')).url })
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
})

describe('openStore without the optional drivers', () => {
  const failing =
    (message: string, code = 'ERR_MODULE_NOT_FOUND') =>
    () =>
      Promise.reject(Object.assign(new Error(message), { code }))

  it('says which package to install when the driver itself is missing', async () => {
    await expect(importDriver('pg', 'postgres', failing("Cannot find package 'pg' imported from /app/open.js"))).rejects.toThrow(
      'the postgres store needs the package "pg": npm install pg',
    )
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
