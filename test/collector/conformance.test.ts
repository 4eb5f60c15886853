import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Client } from '../../src/collector/ingest/enrich.js'
import { groupCommit } from '../../src/collector/ingest/group-commit.js'
import { beaconCounted } from '../../src/collector/ingest/ingest.js'
import { expireDetail } from '../../src/collector/retention.js'
import type { Site } from '../../src/collector/sites/sites.js'
import { startHour } from '../../src/collector/sites/time-zone.js'
import { refuseUnderK } from '../../src/collector/stats/k-anonymity.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { BREAKDOWN_NAMES, FILTERS } from '../../src/shared/dimensions.js'
import type { Beacon } from '../../src/shared/protocol.js'
import { referenceStore } from './reference-store.js'
import { describeStore, storesUnderTest } from './stores.js'

// One conformance suite for every store: the same beacons, ingested through the real path
// (beaconCounted, the group commit counting records into both tiers, then the detail window's
// expiry), must give the same stats, to the unit, as a reference store that sums rows in plain JavaScript, for every
// metric, breakdown, filter and interval, in three time zones, inside, outside and across the
// detail window. Then the tiers are checked against each other.

/** The instant the suite's queries are asked at: the fixture's traffic ends here. */
const NOW = Date.UTC(2026, 10, 30, 15)
const HOUR = 3_600_000
const SITES: Site[] = [
  { id: 'madrid.test', origins: [], timezone: 'Europe/Madrid', shares: [], detailDays: 62 },
  { id: 'newyork.test', origins: [], timezone: 'America/New_York', shares: [], detailDays: 62 },
  { id: 'kolkata.test', origins: [], timezone: 'Asia/Kolkata', shares: [], detailDays: 62 },
  // Keeps no detail at all: only the marginal tier answers.
  { id: 'nodetail.test', origins: [], timezone: 'UTC', shares: [], detailDays: 0 },
]

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
}
const pick = <T>(next: () => number, list: readonly T[]) => list[Math.floor(next() * list.length)]!

const CLIENTS: Client[] = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Chrome', browser_version: '130', os: 'Android', device: 'mobile' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
]

/** 130 days of traffic up to NOW, across the DST changes of Europe and America, for each site. */
function fixture(): { hour: number; beacon: Omit<Beacon, 'site'>; client: Client }[] {
  const next = random(42)
  const first = NOW / HOUR - 130 * 24
  return Array.from({ length: 1500 }, () => {
    const views = () => Math.floor(next() * 3)
    return {
      hour: first + Math.floor(next() * 130 * 24),
      client: pick(next, CLIENTS),
      beacon: {
        v: 1 as const,
        tz: pick(next, ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'UTC']),
        lang: pick(next, ['en', 'es']),
        screen: pick(next, ['mobile', 'desktop'] as const),
        pages: Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
          const v = views()
          return {
            path: pick(next, ['/', '/', '/pricing', '/blog/hello', '/join', '/ü/中文']),
            ...(next() < 0.4 && { ref: pick(next, ['news.example', 'duckduckgo.com']) }),
            ...(next() < 0.2 && { source: 'newsletter', medium: 'email', campaign: pick(next, ['spring', 'autumn']) }),
            flags: Math.floor(next() * 8),
            views: v,
            seconds: v ? Math.floor(next() * 100) : 1 + Math.floor(next() * 50),
            scroll: Math.floor(next() * 100),
          }
        }),
        ...(next() < 0.3 && {
          events: [
            {
              name: pick(next, ['Signup', 'Download']),
              path: pick(next, ['/join', '/only-events']),
              count: 1 + Math.floor(next() * 2),
              ...(next() < 0.6 && { props: { plan: pick(next, ['pro', 'free']), ...(next() < 0.4 && { size: 'l' }) } }),
            },
          ],
        }),
        ...(next() < 0.2 && {
          consents: [{ decision: pick(next, ['accept-all', 'reject-all', 'custom'] as const), categories: { analytics: next() < 0.5, media: next() < 0.5 }, count: 1 }],
        }),
      },
    }
  })
}

/** Ranges inside the 62-day window, outside it, and across its start. */
const RANGES = {
  inside: [
    'period=today',
    'period=7d',
    'period=30d',
    'period=month',
    'from=2026-10-24&to=2026-11-02',
    'from=2026-10-25&interval=hour',
    'from=2026-10-01&to=2026-11-30&interval=month',
  ],
  outside: ['from=2026-08-01&to=2026-08-31', 'from=2026-09-06&interval=hour', 'from=2026-07-23&to=2026-09-20&interval=month'],
  across: ['period=12mo', 'from=2026-09-15&to=2026-10-15', 'from=2026-09-01&to=2026-11-30&interval=day'],
}
const queries: [string, string][] = []
for (const site of SITES) {
  for (const range of Object.values(RANGES).flat()) {
    queries.push([site.id, `${range}&compare=previous`])
    queries.push([site.id, `${range}&include=none&breakdown=${BREAKDOWN_NAMES.join(',')}&limit=5`])
  }
}
for (const range of [RANGES.inside[2]!, RANGES.outside[0]!, RANGES.across[0]!]) {
  for (const breakdown of BREAKDOWN_NAMES) queries.push(['madrid.test', `${range}&breakdown=${breakdown}&k=3&limit=3`])
  for (const filter of [
    'path:/pricing',
    'referrer:news.example',
    'source:newsletter',
    'medium:email',
    'campaign:spring',
    'country:ES',
    'language:es',
    'screen:desktop',
    'browser:Chrome',
    'os:Linux',
    'device:mobile',
    'name:Signup',
    'path:/only-events',
  ]) {
    queries.push(['kolkata.test', `${range}&filter=${filter}&breakdown=${BREAKDOWN_NAMES.join(',')}&compare=previous&limit=4`])
    queries.push([
      'newyork.test',
      `${range}&filter=${filter}&filter=${filter.startsWith('screen') ? 'device:mobile' : 'screen:mobile'}&breakdown=page,event,prop,browser_version&compare=previous`,
    ])
    queries.push(['madrid.test', `${range}&filter=${filter}&breakdown=page,referrer,prop&k=2`])
  }
}
queries.push(['newyork.test', 'from=2026-11-20&filter=browser:Chrome&interval=hour&include=timeseries'])
queries.push(['newyork.test', 'from=2026-08-20&filter=browser:Chrome&interval=hour'])

const parse = (siteId: string, params: string) => {
  const site = SITES.find((s) => s.id === siteId)!
  const parsed = parseStatsQuery(new URLSearchParams(params), site, NOW)
  if (!parsed.ok) throw new Error(`${params}: ${parsed.error.message}`)
  return parsed.query
}

const entries = fixture()
const ingest = async (store: Store) => {
  // Every beacon at once, so that commits merge many: merging must not change any sum.
  const beacons = SITES.flatMap((site) =>
    entries.map(({ beacon, client, hour }) => beaconCounted({ ...beacon, site: site.id }, client, hour, { ...site, detailDays: site.detailDays! })),
  )
  const commits = groupCommit(store, { maxWaiting: beacons.length, maxPendingRows: beacons.reduce((n, b) => n + b.records.length + b.rows.length, 0) })
  await Promise.all(
    beacons.map((counted) => {
      const committed = commits.add(counted)
      if (committed === 'full') throw new Error('the group commit refused a beacon of the fixture')
      return committed
    }),
  )
  await expireDetail(store, SITES, NOW)
}

const reference = referenceStore()
beforeAll(() => ingest(reference))

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'store conformance', () => {
    let store: Store
    beforeAll(async () => {
      store = await underTest.open()
      await ingest(store)
    })
    afterAll(async () => store?.close())

    it('holds the fixture totals, checked by hand-counted sums', async () => {
      const [all] = (await store.query([{ site: 'madrid.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
      const pages = entries.flatMap((e) => e.beacon.pages!)
      expect(all!.views).toBe(pages.reduce((s, p) => s + p.views, 0))
      expect(all!.visits).toBe(pages.reduce((s, p) => s + (p.flags & 1 ? p.views : 0), 0))
      expect(all!.seconds).toBe(pages.reduce((s, p) => s + p.seconds, 0))
      expect(all!.events).toBe(entries.reduce((s, e) => s + (e.beacon.events?.[0]?.count ?? 0), 0))
      expect(all!.views).toBeGreaterThan(1500)
    })

    it('keeps the detail of the window only, and none for a site that keeps none', async () => {
      const detail = async (site: string, from: number, to: number) => (await store.query([{ site, parts: [{ table: 'detail_pages', from, to }] }]))[0]![0]!.views
      const start = await store.detailCutoff('madrid.test')
      expect(start).toBeGreaterThan(NOW / HOUR - 63 * 24)
      expect(await detail('madrid.test', 0, start)).toBe(0)
      expect(await detail('madrid.test', start, 10 ** 7)).toBeGreaterThan(100)
      expect(await detail('nodetail.test', 0, 10 ** 7)).toBe(0)
      expect(await store.sites()).toEqual(SITES.map((s) => s.id).sort())
    })

    it('keeps sites apart and answers an empty range with zeros', async () => {
      const stats = await runStats(store, parse('madrid.test', 'from=2020-01-01'))
      expect(stats.metrics).toEqual({ visitors: 0, monthly_visitors: 0, visits: 0, pageviews: 0, views_per_visit: 0, avg_engagement_seconds: 0, avg_scroll: 0, events: 0 })
      const [none] = (await store.query([{ site: 'nobody.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
      expect(none!.views).toBe(0)
    })

    it.each(queries)('gives the reference stats for %s %s', async (site, params) => {
      const query = parse(site, params)
      expect(await refuseUnderK(store, query)).toEqual(await refuseUnderK(reference, query))
      expect(await runStats(store, query)).toEqual(await runStats(reference, query))
    })

    it('answers unfiltered and one-filter totals at any range, and says plainly where detail is needed outside the window', async () => {
      for (const range of [...RANGES.outside, ...RANGES.across]) {
        const plain = await runStats(store, parse('madrid.test', `${range}&breakdown=page,referrer`))
        expect(plain.unavailable, range).toBeUndefined()
        expect(plain.metrics!.pageviews, range).toBeGreaterThan(0)
        const one = await runStats(store, parse('madrid.test', `${range}&filter=country:ES&breakdown=country,referrer&include=metrics`))
        expect(one.metrics!.pageviews, range).toBeGreaterThan(0)
        expect(one.breakdowns!.country!.rows.map((r) => r.value)).toEqual(['ES'])
        expect(one.breakdowns!.referrer).toEqual({
          rows: [],
          unavailable: expect.stringMatching(
            /^Referrers under the filter country:ES need the detail tier, which keeps 62 days and holds the days from 2026-09-30; this range starts \d{4}-/,
          ),
        })
        const two = await runStats(store, parse('madrid.test', `${range}&filter=country:ES&filter=device:mobile&breakdown=page&compare=previous`))
        expect(two.metrics).toBeUndefined()
        expect(two.unavailable!.metrics).toMatch(/^The totals under the filters country:ES and device:mobile need the detail tier/)
        expect(two.breakdowns!.page!.unavailable).toMatch(/quietcount sites set madrid.test --detail-days N/)
      }
      const none = await runStats(store, parse('nodetail.test', 'period=7d&filter=country:ES&breakdown=page'))
      expect(none.breakdowns!.page!.unavailable).toMatch(/which this site does not keep \(its detail window is 0 days\)/)
      expect(none.detail).toEqual({ days: 0, from: null })
    })

    it('gives, inside the window, the same figures from the marginal tier as from the detail tier', async () => {
      const query = parse('kolkata.test', 'period=30d')
      const [fromHour, toHour] = [startHour(query.from, query.timezone), NOW / HOUR + 1]
      for (const filter of FILTERS.filter((f) => f !== 'name')) {
        const value = (await runStats(store, parse('kolkata.test', `period=30d&breakdown=${filter === 'path' ? 'page' : filter}&include=none&limit=1`))).breakdowns![
          filter === 'path' ? 'page' : (filter as 'country')
        ]!.rows[0]!.value
        const marginal = (await runStats(store, parse('kolkata.test', `period=30d&filter=${filter}:${value}&include=metrics`))).metrics!
        const [detail] = (await store.query([{ site: 'kolkata.test', parts: [{ table: 'detail_pages', from: fromHour, to: toHour }], filters: { [filter]: value } }]))[0]!
        expect({ filter, views: marginal.pageviews, visits: marginal.visits, visitors: marginal.visitors }).toEqual({
          filter,
          views: detail!.views,
          visits: detail!.visits,
          visitors: detail!.visitors_day,
        })
      }
    })
  })
}
