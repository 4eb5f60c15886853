import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '../../src/collector/ingest/enrich.js'
import { beaconRows } from '../../src/collector/ingest/ingest.js'
import type { Site } from '../../src/collector/sites/sites.js'
import { dayNumber } from '../../src/collector/sites/time-zone.js'
import { answerStats } from '../../src/collector/stats/answer.js'
import { figuresOf, whyUnanswered } from '../../src/collector/stats/figures.js'
import { listedRanked } from '../../src/collector/stats/listing.js'
import { metricsOf, sum } from '../../src/collector/stats/metrics.js'
import { parseStatsQuery, type StatsQuery } from '../../src/collector/stats/parse-query.js'
import { readsOf, rowsOf } from '../../src/collector/stats/reads.js'
import { runStats } from '../../src/collector/stats/run.js'
import { timeseries } from '../../src/collector/stats/series.js'
import type { Store } from '../../src/collector/stores/store.js'
import { breakdown } from '../../src/shared/dimensions.js'
import type { Beacon } from '../../src/shared/protocol.js'
import { storesUnderTest } from './stores.js'

// The parts of an owner's answer (src/collector/stats/: run.ts and what it calls, answer.ts) on
// a handful of hand-counted page views in a real SQLite store. That every store gives the same
// answers as the reference is the conformance suite's job; here each part is checked for what
// it decides: the privacy check, the tier a figure comes from, "(other)", the previous period,
// the chart's buckets, and that an answer is one round trip to the store.

const NOW = Date.UTC(2026, 10, 30, 12)
const HOUR = 3_600_000
const SITE: Site = { id: 'units.test', origins: [], timezone: 'UTC', shares: [], detailDays: 62 }
const CLIENT: Client = { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' }

/** A beacon of one page view that starts a visit of a new visitor; Europe/Madrid counts in ES, Asia/Tokyo in JP. */
const view = (path: string, tz: string, more: Partial<Beacon> = {}): Beacon => ({
  v: 1,
  site: SITE.id,
  tz,
  lang: 'es',
  screen: 'desktop',
  pages: [{ path, flags: 7, views: 1, seconds: 30, scroll: 50 }],
  ...more,
})
const signup = (plan: string) => ({ events: [{ name: 'Signup', path: '/', count: 1, props: { plan } }] })

/**
 * The last 7 days (2026-11-24 to 30): `/` 4 views from ES (three with a Signup), `/pricing` 2
 * from JP, `/rare` 1 from ES and `/lone` 1 from JP; 3 consent decisions. The 7 days before: `/`
 * 2 views. 2026-11-10: 1 view counted while the site kept no detail.
 */
const TRAFFIC: [date: string, beacon: Beacon, detailDays?: number][] = [
  ['2026-11-25', view('/', 'Europe/Madrid', signup('pro'))],
  ['2026-11-25', view('/', 'Europe/Madrid', signup('pro'))],
  ['2026-11-25', view('/', 'Europe/Madrid', signup('free'))],
  ['2026-11-25', view('/', 'Europe/Madrid')],
  ['2026-11-26', view('/pricing', 'Asia/Tokyo')],
  ['2026-11-26', view('/pricing', 'Asia/Tokyo')],
  ['2026-11-27', view('/rare', 'Europe/Madrid')],
  ['2026-11-28', view('/lone', 'Asia/Tokyo')],
  ['2026-11-29', { v: 1, site: SITE.id, consents: [{ decision: 'accept-all', categories: { analytics: true }, count: 1 }] }],
  ['2026-11-29', { v: 1, site: SITE.id, consents: [{ decision: 'accept-all', categories: { analytics: true }, count: 1 }] }],
  ['2026-11-29', { v: 1, site: SITE.id, consents: [{ decision: 'reject-all', categories: { analytics: false }, count: 1 }] }],
  ['2026-11-20', view('/', 'Europe/Madrid')],
  ['2026-11-20', view('/', 'Europe/Madrid')],
  ['2026-11-10', view('/', 'Europe/Madrid'), 0],
]

const parse = (params: string, site: Site = SITE): StatsQuery => {
  const parsed = parseStatsQuery(new URLSearchParams(params), site, NOW)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.query
}

/** The store, counting its round trips: calls of `query` and the queries they carried. */
function counted(store: Store) {
  const calls = { trips: 0, queries: 0 }
  const counting: Store = {
    ...store,
    query: (queries) => {
      calls.trips++
      calls.queries += queries.length
      return store.query(queries)
    },
  }
  return { store: counting, calls }
}

const sqlite = storesUnderTest().find((s) => s.name === 'sqlite')!
let store: Store

beforeAll(async () => {
  store = await sqlite.open()
  for (const [date, beacon, detailDays = 62] of TRAFFIC) await store.write(beaconRows(beacon, CLIENT, Date.parse(`${date}T10:00:00Z`) / HOUR, { timezone: 'UTC', detailDays }))
})
afterAll(async () => store?.close())

describe('answerStats: the privacy check, then the answer', () => {
  it('refuses a filter on a value that k-anonymity folds into "(other)", and runs no query for the answer', async () => {
    const { store: s, calls } = counted(store)
    const answer = await answerStats(s, parse('period=7d&filter=path:/rare&k=2&breakdown=page'))
    expect(answer).toEqual({ ok: false, error: { field: 'filter', rule: 'k-anonymity', message: expect.stringContaining('path:"/rare" counts fewer than k = 2') } })
    expect(calls.trips).toBe(1)
  })

  it('answers a filter on a value shown as a row of its own, from the marginal rows of that value', async () => {
    const answer = await answerStats(store, parse('period=7d&filter=path:/&k=2&include=metrics'))
    expect(answer.ok && answer.result.metrics).toMatchObject({ pageviews: 4, visits: 4, visitors: 4, events: 3 })
  })

  it('is one round trip for the whole answer, after one per period for the check', async () => {
    const all = 'period=7d&compare=previous&breakdown=page,entry_page,country,event,prop,consent'
    for (const [params, trips] of [
      [all, 1],
      [`${all}&k=2&filter=country:ES`, 3],
      [`${all}&filter=country:ES&filter=device:desktop`, 1],
    ] as const) {
      const { store: s, calls } = counted(store)
      expect((await answerStats(s, parse(params))).ok, params).toBe(true)
      expect(calls.trips, params).toBe(trips)
    }
  })
})

describe('figures: which tier answers the top line and the chart', () => {
  it('reads one filter from the marginal rows and its hourly chart from the detail tier', async () => {
    const reads = await readsOf(store, parse('period=7d&filter=country:ES&interval=hour'))
    const { totals, chart } = figuresOf(reads, 'pages', reads.range, true)
    await reads.run()
    expect([totals.detail, chart.detail]).toEqual([false, true])
    expect(totals.rows.map((t) => t.unit)).toEqual(['day'])
    expect(chart.rows.map((t) => t.unit)).toEqual(['hour'])
    expect(sum(rowsOf(totals.rows), 'views')).toBe(5)
    expect(sum(rowsOf(chart.rows), 'views')).toBe(5)
    expect(whyUnanswered(reads, reads.range, [totals, chart])).toBeUndefined()
  })

  it('reads no filter from the hourly totals for an hourly chart, and from whole months for a month', async () => {
    const reads = await readsOf(store, parse('from=2026-11-01&to=2026-11-30&interval=hour'))
    const { totals, chart } = figuresOf(reads, 'pages', reads.range, true)
    await reads.run()
    expect(totals.rows.map((t) => t.unit)).toEqual(['month'])
    expect(chart).toMatchObject({ detail: false, blocked: false, rows: [{ unit: 'hour' }] })
    expect(sum(rowsOf(totals.rows), 'views')).toBe(11)
  })

  it('reads two filters from the detail tier, and says why not outside its window or where records lack detail', async () => {
    const inside = await answerStats(store, parse('period=7d&filter=country:ES&filter=device:desktop&include=metrics'))
    expect(inside.ok && inside.result.metrics?.pageviews).toBe(5)

    const reads = await readsOf(store, parse('from=2026-08-01&to=2026-08-31&filter=country:ES&filter=device:desktop'))
    const outside = figuresOf(reads, 'pages', reads.range, true)
    await reads.run()
    expect(outside.totals).toMatchObject({ detail: true, blocked: true, rows: [] })
    expect(whyUnanswered(reads, reads.range, [outside.totals])).toMatch(
      /^The totals under the filters country:ES and device:desktop need the detail tier, which keeps 62 days and holds the days from 2026-09-30;/,
    )

    const lacking = await runStats(store, parse('from=2026-11-10&to=2026-11-10&filter=country:ES&filter=device:desktop&breakdown=page'))
    expect(lacking.metrics).toBeUndefined()
    expect(lacking.unavailable?.metrics).toMatch(/which lacks part of this range \(counts imported, or counted while the site kept no detail\)/)
    expect(lacking.breakdowns?.page).toEqual({ rows: [], unavailable: expect.stringMatching(/^Pages under the filters country:ES and device:desktop .* lacks part/) })
  })
})

describe('the previous period', () => {
  it('is the same number of days just before, with its own totals', async () => {
    const { previous, metrics } = await runStats(store, parse('period=7d&compare=previous&include=metrics'))
    expect(metrics?.pageviews).toBe(8)
    expect(previous).toEqual({ from: '2026-11-17', to: '2026-11-23', metrics: expect.objectContaining({ pageviews: 2, visits: 2, events: 0 }) })
  })

  it('says why it cannot be answered, without totals, when only the detail tier could and cannot', async () => {
    const answer = await runStats(store, parse('from=2026-10-01&to=2026-10-31&filter=country:ES&filter=device:desktop&compare=previous&include=metrics'))
    expect(answer.previous).toEqual({ from: '2026-08-31', to: '2026-09-30' })
    expect(answer.unavailable?.previous).toMatch(/^The previous period's totals under the filters country:ES and device:desktop need the detail tier/)
    expect(answer.metrics?.pageviews).toBe(0)
  })
})

describe('breakdowns and "(other)"', () => {
  it('folds the rows under k into "(other)" in the store, and lists the rest heaviest first', async () => {
    const { breakdowns } = await runStats(store, parse('period=7d&breakdown=page&k=2&include=none'))
    expect(breakdowns?.page?.rows).toEqual([
      { value: '/', visitors: 4, visits: 4, pageviews: 4, avg_engagement_seconds: 30 },
      { value: '/pricing', visitors: 2, visits: 2, pageviews: 2, avg_engagement_seconds: 30 },
      { value: '(other)', visitors: 2, visits: 2, pageviews: 2 },
    ])
    const { breakdowns: all } = await runStats(store, parse('period=7d&breakdown=page&include=none'))
    expect(all?.page?.rows.map((r) => r.value)).toEqual(['/', '/pricing', '/lone', '/rare'])
  })

  it('folds event properties unpacked from the detail tier the same way', async () => {
    const { breakdowns } = await runStats(store, parse('period=7d&filter=country:ES&breakdown=prop&k=2&include=none'))
    expect(breakdowns?.prop?.rows).toEqual([
      { value: 'plan=pro', parent: 'Signup', count: 2 },
      { value: '(other)', count: 1 },
    ])
  })

  it('folds rows ranked in memory: weight k or more is listed up to the limit, under k is "(other)"', () => {
    const ranked = [
      { parent: 'Signup', value: 'plan=pro', events: 5 },
      { parent: 'Signup', value: 'plan=free', events: 3 },
      { parent: 'Signup', value: 'size=l', events: 1 },
      { parent: 'Download', value: 'file=a', events: 1 },
    ]
    expect(listedRanked(ranked, breakdown('prop'), { k: 2, limit: 1 })).toEqual([
      { value: 'plan=pro', parent: 'Signup', count: 5 },
      { value: '(other)', count: 2 },
    ])
    expect(listedRanked(ranked, breakdown('prop'), { k: 0, limit: 10 }).map((r) => r.value)).toEqual(['plan=pro', 'plan=free', 'size=l', 'file=a'])
  })

  it('gives consent decisions a rate of all decisions, "(other)" included, and the categories at k or more', async () => {
    const { breakdowns } = await runStats(store, parse('period=7d&breakdown=consent&k=2&include=none'))
    expect(breakdowns?.consent).toEqual({
      rows: [
        { value: 'accept-all', count: 2, rate: 0.6667 },
        { value: '(other)', count: 1, rate: 0.3333 },
      ],
      categories: [{ category: 'analytics', granted: 2, refused: 1, rate: 0.6667 }],
    })
    const { breakdowns: above } = await runStats(store, parse('period=7d&breakdown=consent&k=4&include=none'))
    expect(above?.consent?.categories).toEqual([])
  })
})

describe('metrics and the chart, from rows', () => {
  it('adds up the top line, with ratios rounded and 0 where nothing was counted', () => {
    expect(metricsOf([{ views: 3, visits: 2, visitors_day: 1, visitors_month: 1, seconds: 10, scroll: 100 }], [{ events: 4 }])).toEqual({
      visitors: 1,
      monthly_visitors: 1,
      visits: 2,
      pageviews: 3,
      views_per_visit: 1.5,
      avg_engagement_seconds: 3.3,
      avg_scroll: 33,
      events: 4,
    })
    expect(metricsOf([], [])).toEqual({ visitors: 0, monthly_visitors: 0, visits: 0, pageviews: 0, views_per_visit: 0, avg_engagement_seconds: 0, avg_scroll: 0, events: 0 })
  })

  it('has a bucket for every day of the range, gaps as zeros, and sums daily rows into months', () => {
    const pages = [{ unit: 'day' as const, rows: () => [{ time: dayNumber('2026-11-25'), visitors_day: 2, visits: 3, views: 4 }] }]
    const events = [{ unit: 'day' as const, rows: () => [{ time: dayNumber('2026-11-26'), events: 5 }] }]
    expect(timeseries(parse('from=2026-11-24&to=2026-11-26&interval=day'), pages, events)).toEqual([
      { bucket: '2026-11-24', visitors: 0, visits: 0, pageviews: 0, events: 0 },
      { bucket: '2026-11-25', visitors: 2, visits: 3, pageviews: 4, events: 0 },
      { bucket: '2026-11-26', visitors: 0, visits: 0, pageviews: 0, events: 5 },
    ])
    expect(timeseries(parse('from=2026-10-30&to=2026-11-26&interval=month'), pages, events)).toEqual([
      { bucket: '2026-10', visitors: 0, visits: 0, pageviews: 0, events: 0 },
      { bucket: '2026-11', visitors: 2, visits: 3, pageviews: 4, events: 5 },
    ])
  })

  it('has as many hourly buckets as the local day has hours', () => {
    const madrid = { ...SITE, timezone: 'Europe/Madrid' }
    const spring = timeseries(parse('from=2026-03-29&to=2026-03-29&interval=hour', madrid), [], [])
    expect(spring).toHaveLength(23)
    expect(spring.map((b) => b.bucket)).not.toContain('2026-03-29T02')
  })
})
