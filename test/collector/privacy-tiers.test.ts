import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createCollector } from '../../src/collector/http/handler.js'
import { expireDetail } from '../../src/collector/retention.js'
import { TABLES } from '../../src/collector/schema.js'
import { registryFile } from '../../src/collector/sites/registry.js'
import type { Store } from '../../src/collector/stores/store.js'
import { DIMENSIONS } from '../../src/shared/dimensions.js'
import { describeStore, dumpTables, storesUnderTest } from './stores.js'

// The promise of the marginal tier, proved on what each store holds: once a site's detail
// window has passed, no row anywhere holds more than one attribute of a page view, and nothing
// holds an IP address, a user-agent string, a time zone or an event's props object. Each beacon
// carries values of its own for every free-text attribute (`p7`, `r7.example`, `src7`…), so a
// row that kept two attributes of one page view would show two tags of the same number.

const IP = '203.0.113.77'
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
]
const BEACONS = 30
/** The tags of beacon i, by the attribute that carries them. */
const tags = (i: number) => ({ path: `/p${i}x`, referrer: `r${i}x.example`, source: `src${i}x`, medium: `med${i}x`, campaign: `cmp${i}x`, name: `Ev${i}x`, prop: `val${i}x` })
const TAG = /(?:\/p|r|src|med|cmp|Ev|val)(\d+)x/g

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'marginal tier privacy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-privacy-'))
    let store: Store & { url: string }
    let tables: Awaited<ReturnType<typeof dumpTables>>
    beforeAll(async () => {
      store = await underTest.open()
      const registry = registryFile(join(dir, 'quietcount.json'))
      const site = { id: 'private.test', origins: [], timezone: 'Europe/Madrid', shares: [] }
      registry.write({ sites: [site], tokens: [] })
      const collector = createCollector({ store, registry, clientAddress: () => IP, rateLimit: false, expireEveryMs: 0 })
      for (let i = 0; i < BEACONS; i++) {
        const t = tags(i)
        const beacon = {
          v: 1,
          site: site.id,
          tz: ['Europe/Madrid', 'America/Mexico_City', 'Asia/Tokyo'][i % 3],
          lang: ['es', 'en', 'ja'][i % 3],
          screen: ['mobile', 'desktop'][i % 2],
          pages: [{ path: t.path, ref: t.referrer, source: t.source, medium: t.medium, campaign: t.campaign, flags: 7, views: 1, seconds: 5, scroll: 50 }],
          events: [{ name: t.name, path: t.path, props: { choice: t.prop }, count: 1 }],
          consents: [{ decision: 'custom', categories: { analytics: i % 2 === 0 }, count: 1 }],
        }
        const response = await collector.fetch(
          new Request('http://c.test/api/collect', { method: 'POST', body: JSON.stringify(beacon), headers: { 'content-type': 'text/plain', 'user-agent': AGENTS[i % 3]! } }),
        )
        expect(response.status).toBe(204)
      }
      await collector.close()
      // 63 days later, the 62-day window has passed: what is left is what is kept for ever.
      await expireDetail(store, registry.read().sites, Date.now() + 63 * 86_400_000)
      tables = await dumpTables(underTest.name, store.url)
    })
    afterAll(async () => {
      await store?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('keeps no detail row once the window has passed', () => {
      expect(tables.detail_pages!.rows).toEqual([])
      expect(tables.detail_events!.rows).toEqual([])
    })

    it('has tables of one attribute per row: totals without any, marginals with one dimension and its value', () => {
      const counters = (table: keyof typeof TABLES) => [...TABLES[table].counters, ...(underTest.name === 'clickhouse' ? ['_writes'] : [])]
      expect(tables.totals!.columns.sort()).toEqual(['site', 'hour', ...counters('totals')].sort())
      for (const [table, period] of [
        ['daily', 'day'],
        ['monthly', 'month'],
      ] as const)
        expect(tables[table]!.columns.sort()).toEqual(['site', period, 'dimension', 'parent', 'value', ...counters(table)].sort())
      expect(tables.detail_cutoffs!.columns.sort()).toEqual(['hour', 'site'])
      // What each spool's replay took: a spool's key and a batch number, nothing of a visit.
      expect(tables.quietcount_replays!.columns.sort()).toEqual(['spool', ...(underTest.name === 'clickhouse' ? ['counts_table'] : []), 'through'].sort())
      expect(Object.keys(tables).sort()).toEqual([...Object.keys(TABLES), 'detail_cutoffs', 'quietcount_migrations', 'quietcount_replays'].sort())
    })

    it('holds in no row the attributes of one page view together', () => {
      // `total` rows count every record of a day, with no attribute at all.
      const names = ['total', ...DIMENSIONS.map((d) => d.name as string)]
      const marginal = [...tables.daily!.rows, ...tables.monthly!.rows]
      expect(marginal.length).toBeGreaterThan(BEACONS * 8)
      for (const row of marginal) {
        const { dimension, parent, value } = row as Record<string, string>
        expect(names).toContain(dimension)
        // The parent is the browser of a version, or the event of a property: part of the one attribute.
        if (dimension === 'browser_version') expect(['Firefox', 'Chrome', 'Mobile Safari']).toContain(parent)
        else if (dimension === 'prop') expect(parent).toMatch(/^Ev\d+x$/)
        else expect(parent).toBe('')
        const found = [...`${parent} ${value}`.matchAll(TAG)]
        const allowed = dimension === 'prop' ? 2 : 1
        expect(found.length, `${dimension} ${parent} ${value}`).toBeLessThanOrEqual(allowed)
        if (dimension === 'prop') expect(value).toMatch(/^choice=val\d+x$/)
        // Each value is one of that dimension's own: the path row holds a path, and nothing else.
        const own: Record<string, RegExp> = {
          total: /^$/,
          path: /^\/p\d+x$/,
          referrer: /^r\d+x\.example$/,
          source: /^src\d+x$/,
          medium: /^med\d+x$/,
          campaign: /^cmp\d+x$/,
          name: /^Ev\d+x$/,
          country: /^(ES|MX|JP)$/,
          language: /^(es|en|ja)$/,
          screen: /^(mobile|desktop)$/,
          device: /^(mobile|desktop)$/,
          decision: /^custom$/,
          category: /^analytics:(granted|refused)$/,
        }
        const shape = own[dimension!]
        if (shape) expect(value, dimension).toMatch(shape)
      }
      // Every beacon's attributes are there, each in a row of its own.
      for (let i = 0; i < BEACONS; i++) for (const tag of Object.values(tags(i))) expect(marginal.some((r) => String(r.value).includes(tag) || r.parent === tag)).toBe(true)
    })

    it('stores no IP address, user-agent string, time zone or props object anywhere', () => {
      const everything = JSON.stringify(tables)
      for (const secret of [IP, '203.0.113', 'Gecko/20100101', 'AppleWebKit', 'Mozilla/5.0', 'Europe/Madrid', 'Asia/Tokyo', '{"choice"'])
        expect(everything.includes(secret), secret).toBe(false)
    })
  })
}
