import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { plausibleTable } from '../../src/collector/formats/plausible/import.js'
import { createCollector } from '../../src/collector/http/handler.js'
import { runImport } from '../../src/collector/imports/run-import.js'
import type { Client } from '../../src/collector/ingest/enrich.js'
import { beaconRows } from '../../src/collector/ingest/ingest.js'
import { mergeRow, type Row } from '../../src/collector/schema.js'
import { registryFile, withImport, withShare } from '../../src/collector/sites/registry.js'
import { hashToken, type ShareLink, type Site } from '../../src/collector/sites/sites.js'
import { addDays, today } from '../../src/collector/sites/time-zone.js'
import type { Store } from '../../src/collector/stores/store.js'
import type { BreakdownName } from '../../src/shared/dimensions.js'
import type { Beacon } from '../../src/shared/protocol.js'
import type { StatsResult } from '../../src/shared/stats-types.js'
import { describeStore, storesUnderTest } from './stores.js'

// The attacks that broke row-by-row k-anonymity, run as a battery against two stores that differ
// by one visit (two page views, an event and a consent decision, of rare values on one day) and
// one imported page view. On a k-anonymity view (the owner's API with k=5, which share links were)
// the battery tells the two apart every time, by exactly what the visit added: that proves the
// battery can see a leak. On share links it must not tell them apart better than differential
// privacy allows: over many links (seeds) of each store, no statistic of the battery separates the
// stores with an accuracy above e^ε'/(1+e^ε') plus sampling slack, where ε' is the links' ε times
// the five records the stores differ by.

const SITE: Site = { id: 'small.test', origins: [], timezone: 'UTC', shares: [] }
const NOW = Date.now()
const TODAY = today('UTC', NOW)
/** The day of the visit, and of the imported page view. */
const D0 = addDays(TODAY, -12)
const IMPORTED_DAY = addDays(TODAY, -22)
const PATHS = ['/', '/about', '/news', '/seasonal', '/events', '/contact', '/join', '/faq', '/blog', '/blog/a', '/blog/b', '/privacy']
const REFERRERS = ['', '', '', 'google.com', 'duckduckgo.com', 'news.example', 'mastodon.social']
const ZONES = ['Europe/Madrid', 'Europe/Paris', 'America/New_York']
const SCREENS = ['mobile', 'laptop', 'desktop'] as const
const CLIENTS: Client[] = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
]
const EPSILON = 0.02
/** The records the two stores differ by: two page views, an event, a consent decision, an imported page view. */
const RECORDS = 5
const LINKS = 150
const PANELS: BreakdownName[] = ['page', 'referrer', 'country', 'screen', 'event', 'consent']

/** Forty days of a small site, the same in both stores (mulberry32), with /seasonal visited every day but D0. */
function baseRows(): Row[] {
  let seed = 7
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
  const rows = new Map<string, Row>()
  for (let ago = 40; ago >= 1; ago--) {
    const date = addDays(TODAY, -ago)
    const hour = Date.parse(`${date}T12:00:00Z`) / 3_600_000
    for (let visit = 0; visit < 40; visit++) {
      const paths = Array.from({ length: 1 + Math.floor(next() * 3) }, () => PATHS[Math.floor(PATHS.length * next() ** 1.6)]!).map((p) =>
        p === '/seasonal' && date === D0 ? '/' : p,
      )
      const beacon: Beacon = {
        v: 1,
        site: SITE.id,
        tz: pick(ZONES),
        screen: pick(SCREENS),
        pages: paths.map((path, i) => {
          const ref = i === 0 ? pick(REFERRERS) : ''
          return { path, ...(ref && { ref }), flags: i === 0 ? 7 : 0, views: 1, seconds: 10, scroll: 50 }
        }),
        ...(next() < 0.1 && { events: [{ name: 'Download', path: paths[0]!, count: 1 }] }),
        ...(next() < 0.3 && { consents: [{ decision: pick(['accept-all', 'reject-all'] as const), categories: { analytics: next() < 0.5 }, count: 1 }] }),
      }
      for (const row of beaconRows(beacon, pick(CLIENTS), hour, { timezone: 'UTC', detailDays: 62 })) mergeRow(rows, row)
    }
    // /seasonal every day but D0, well above k.
    if (date !== D0) {
      const beacon: Beacon = { v: 1, site: SITE.id, tz: 'Europe/Madrid', screen: 'desktop', pages: [{ path: '/seasonal', flags: 7, views: 8, seconds: 0, scroll: 0 }] }
      for (const row of beaconRows(beacon, CLIENTS[0]!, hour, { timezone: 'UTC', detailDays: 62 })) mergeRow(rows, row)
    }
  }
  return [...rows.values()]
}

/** The visit one store has and the other lacks: rare values everywhere, on D0. */
const VISIT: Beacon = {
  v: 1,
  site: SITE.id,
  tz: 'Atlantic/Reykjavik',
  screen: 'tablet',
  pages: [
    { path: '/seasonal', ref: 'rare.example', flags: 7, views: 1, seconds: 30, scroll: 80 },
    { path: '/rare-page', flags: 0, views: 1, seconds: 5, scroll: 10 },
  ],
  events: [{ name: 'Signup', path: '/rare-page', props: { plan: 'gold' }, count: 1 }],
  consents: [{ decision: 'custom', categories: { analytics: true, marketing: true }, count: 1 }],
}

/** A Plausible pages table of three days; with `extra`, also one page view of a page nobody else saw. */
const importedPages = (extra: boolean) =>
  [
    'date,hostname,page,visits,visitors,pageviews',
    ...[-23, -22, -21].flatMap((offset) => [`${addDays(TODAY, offset)},small.test,/,30,25,60`, `${addDays(TODAY, offset)},small.test,/about,10,9,20`]),
    ...(extra ? [`${IMPORTED_DAY},small.test,/imported-only,1,1,1`] : []),
  ].join('\n')

/** The battery: each attack asks its questions and reads what the visit (or the imported view) added. */
type Ask = (query: string) => Promise<StatsResult | undefined>
const rowOf = (result: StatsResult | undefined, breakdown: BreakdownName, value: string) => result?.breakdowns?.[breakdown]?.rows.find((r) => r.value === value)
const bucketOf = (result: StatsResult | undefined, prefix: string) =>
  (result?.timeseries ?? []).filter((b) => b.bucket.startsWith(prefix)).reduce((n, b) => n + (b.pageviews ?? 0), 0)
const listed = (result: StatsResult | undefined, breakdown: BreakdownName, value: string) => (rowOf(result, breakdown, value) ? 1 : 0)

const ATTACKS: { name: string; leak: number; run: (ask: Ask) => Promise<number> }[] = [
  {
    name: 'a filter on a value only an import holds',
    leak: 1,
    run: async (ask) => (await ask('period=30d&filter=path:/imported-only'))?.metrics?.pageviews ?? 0,
  },
  {
    name: 'the daily chart under an allowed filter',
    leak: 1,
    run: async (ask) => bucketOf(await ask('period=30d&interval=day&filter=path:/seasonal'), D0),
  },
  {
    name: 'the hourly chart of one day under an allowed filter',
    leak: 1,
    run: async (ask) => bucketOf(await ask(`period=custom&from=${addDays(D0, -3)}&to=${addDays(D0, 3)}&interval=hour&filter=path:/seasonal`), D0),
  },
  {
    name: 'overlapping ranges, subtracted',
    leak: 1,
    run: async (ask) => {
      const seasonal = async (from: string, to: string) => rowOf(await ask(`period=custom&from=${from}&to=${to}&breakdown=page`), 'page', '/seasonal')?.pageviews ?? 0
      return (await seasonal(addDays(D0, -3), addDays(D0, 3))) - (await seasonal(addDays(D0, -3), addDays(D0, -1))) - (await seasonal(addDays(D0, 1), addDays(D0, 3)))
    },
  },
  {
    name: 'with and without filters, subtracted',
    leak: 2,
    run: async (ask) => {
      const views = async (filter: string) => (await ask(`period=30d${filter}`))?.metrics?.pageviews ?? 0
      let rest = await views('')
      for (const screen of SCREENS) rest -= await views(`&filter=screen:${screen}`)
      return rest
    },
  },
  {
    name: '"(other)" in a closed set of screen classes',
    leak: 2,
    run: async (ask) => rowOf(await ask('period=30d&breakdown=screen'), 'screen', '(other)')?.pageviews ?? 0,
  },
  {
    name: '"(other)" in consent decisions',
    leak: 1,
    run: async (ask) => rowOf(await ask('period=30d&breakdown=consent'), 'consent', '(other)')?.count ?? 0,
  },
  {
    name: 'a rare value listed (page, referrer, country, screen, event)',
    leak: 0,
    run: async (ask) => {
      const all = await ask('period=30d&breakdown=page,referrer,country,screen,event')
      return (
        listed(all, 'page', '/rare-page') +
        listed(all, 'referrer', 'rare.example') +
        listed(all, 'country', 'IS') +
        listed(all, 'screen', 'tablet') +
        listed(all, 'event', 'Signup')
      )
    },
  },
]

/** The best accuracy of telling `a` from `b` by one threshold on a statistic, either way round. */
function bestAccuracy(a: number[], b: number[]): number {
  const values = [...new Set([...a, ...b])].sort((x, y) => x - y)
  let best = 0.5
  for (const t of values) {
    const right = (a.filter((x) => x <= t).length + b.filter((x) => x > t).length) / (a.length + b.length)
    best = Math.max(best, right, 1 - right)
  }
  return best
}

/** A store whose answers are remembered: the battery asks the same sums for every link, and the counts do not change. */
const remembered = (store: Store): Store => {
  const answers = new Map<string, ReturnType<Store['query']>>()
  return {
    ...store,
    query: (queries) => {
      const key = JSON.stringify(queries)
      let answer = answers.get(key)
      if (!answer) answers.set(key, (answer = store.query(queries)))
      return answer
    },
  }
}

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'differencing attacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qc-differencing-'))
    const worlds: { store: Store & { url: string }; collector: ReturnType<typeof createCollector>; links: ShareLink[] }[] = []

    beforeAll(async () => {
      const base = baseRows()
      for (const withVisit of [false, true]) {
        const store = await underTest.open()
        await store.write(base)
        if (withVisit)
          await store.write(
            beaconRows(VISIT, { browser: 'Opera', browser_version: '115', os: 'Linux', device: 'tablet' }, Date.parse(`${D0}T12:00:00Z`) / 3_600_000, {
              timezone: 'UTC',
              detailDays: 62,
            }),
          )
        const file = { name: 'imported_pages.csv', bytes: 0, open: async () => Readable.from([importedPages(withVisit)]) }
        const report = await runImport(store, SITE, [file], { source: 'plausible', tableOf: plausibleTable })
        let registry = withImport({ sites: [SITE], tokens: [{ hash: hashToken('owner'), site: '*', created: '' }] }, SITE, report.import)
        const links: ShareLink[] = []
        for (let i = 0; i < LINKS; i++) {
          const made = withShare(registry, registry.sites[0]!, { epsilon: EPSILON, panels: PANELS })
          registry = made.registry
          links.push(made.link)
        }
        const file2 = registryFile(join(dir, `${withVisit ? 'b' : 'a'}.json`))
        file2.write(registry)
        worlds.push({ store, links, collector: createCollector({ store: remembered(store), registry: file2, rateLimit: false, expireEveryMs: 0 }) })
      }
    }, 120_000)
    afterAll(async () => {
      for (const world of worlds) {
        await world.collector.close()
        await world.store.close()
      }
      rmSync(dir, { recursive: true, force: true })
    })

    const asker =
      (world: (typeof worlds)[number], path: (query: string) => string, headers: Record<string, string> = {}): Ask =>
      async (query) => {
        const response = await world.collector.fetch(new Request(`http://c.test${path(query)}`, { headers }))
        return response.ok ? ((await response.json()) as StatsResult) : undefined
      }

    it.each(ATTACKS.filter((a) => a.leak))('on k-anonymity (k = 5) tells the stores apart by what they differ in: $name', async ({ run, leak }) => {
      const [a, b] = await Promise.all(worlds.map((world) => run(asker(world, (q) => `/api/stats?site=${SITE.id}&k=5&${q}`, { authorization: 'Bearer owner' }))))
      expect(b! - a!).toBe(leak)
    })

    it(`on share links (ε = ${EPSILON}) tells them apart no better than ε·${RECORDS} allows, over ${LINKS} links of each`, async () => {
      const bound = Math.exp(EPSILON * RECORDS) / (1 + Math.exp(EPSILON * RECORDS))
      // Sampling slack for the best of many thresholds over 2 × 150 samples: an exact leak scores 1.
      const slack = 0.13
      const seen: string[] = []
      for (const attack of ATTACKS) {
        const samples = await Promise.all(
          worlds.map(async (world) => {
            const values: number[] = []
            for (const link of world.links) values.push(await attack.run(asker(world, (q) => `/api/share/${link.id}?${q}`)))
            return values
          }),
        )
        const accuracy = bestAccuracy(samples[0]!, samples[1]!)
        seen.push(`${attack.name}: ${accuracy.toFixed(3)}`)
        expect(accuracy, attack.name).toBeLessThanOrEqual(bound + slack)
      }
      console.log(`[differencing ${underTest.name}] bound ${bound.toFixed(3)} + ${slack}; best accuracy per attack: ${seen.join('; ')}`)
    }, 600_000)
  })
}
