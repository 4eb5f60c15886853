import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_SITES, seedDemo } from '../../src/cli/demo-data.js'
import { withShare } from '../../src/collector/sites/registry.js'
import { DEFAULT_PANELS, type ShareLink, type Site } from '../../src/collector/sites/sites.js'
import { addDays, today } from '../../src/collector/sites/time-zone.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runPublicStats } from '../../src/collector/stats/public/answer.js'
import { dayUniforms, discreteLaplace, keyedUniform, type Scale, seriesKey, tailBound, tailQuantile, variance } from '../../src/collector/stats/public/noise.js'
import { parsePublicQuery, RANGES_PER_DAY, SETTLE_MS } from '../../src/collector/stats/public/query.js'
import { DELTA, errorOf, releaseOf, thresholdOf } from '../../src/collector/stats/public/release.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { CONSENT_DECISIONS } from '../../src/shared/protocol.js'
import type { StatsResult } from '../../src/shared/stats-types.js'
import { describeStore, storesUnderTest } from './stores.js'

// Share links' differential privacy, part by part: the noise (its distribution, its determinism,
// the bound its thresholds rest on), what a link may be asked, and its answers on every store.
// test/collector/share-differencing.test.ts attacks it as a whole.

const seed = (text: string) => createHash('sha256').update(text).digest()

describe('the discrete Laplace sampler', () => {
  const scale: Scale = { s: 1, t: 3 }
  const p = Math.exp(-1 / 3)
  const pmf = (x: number) => ((1 - p) / (1 + p)) * p ** Math.abs(x)

  it('draws P(x) ∝ exp(-|x|·s/t): a chi-square test over 100,000 draws, and the variance 2p/(1-p)²', () => {
    const counts = new Map<number, number>()
    let sum = 0
    let squares = 0
    const draws = 100_000
    for (let series = 0; series < 100; series++) {
      const uniforms = dayUniforms(seriesKey(seed('chi-square'), `series ${series}`), 0, draws / 100)
      for (let day = 0; day < draws / 100; day++) {
        const x = discreteLaplace(uniforms(day), scale)
        expect(Number.isInteger(x)).toBe(true)
        counts.set(x, (counts.get(x) ?? 0) + 1)
        sum += x
        squares += x * x
      }
    }
    // Bins -12..12, and the two tails beyond.
    let chi = 0
    for (let x = -12; x <= 12; x++) chi += ((counts.get(x) ?? 0) - draws * pmf(x)) ** 2 / (draws * pmf(x))
    const tail = p ** 13 / (1 + p)
    const beyond = (sign: number) => [...counts].filter(([x]) => x * sign > 12).reduce((n, [, c]) => n + c, 0)
    chi += (beyond(1) - draws * tail) ** 2 / (draws * tail) + (beyond(-1) - draws * tail) ** 2 / (draws * tail)
    // 26 degrees of freedom: 54.1 is the 0.1 % critical value; a biased sampler lands in the hundreds.
    expect(chi).toBeLessThan(54.1)
    expect(Math.abs(sum / draws)).toBeLessThan(0.05)
    expect(squares / draws / variance(scale)).toBeCloseTo(1, 1)
  })

  it('gives a day the same draw whichever days are asked with it, and other draws to other days, series and links', () => {
    const key = seriesKey(seed('link'), 'series')
    const alone = discreteLaplace(dayUniforms(key, 20_000, 20_001)(20_000), { s: 1, t: 45 })
    const inRange = discreteLaplace(dayUniforms(key, 19_990, 20_030)(20_000), { s: 1, t: 45 })
    expect(inRange).toBe(alone)
    const many = (make: (i: number) => number) => new Set(Array.from({ length: 40 }, (_, i) => make(i))).size
    expect(many((i) => discreteLaplace(dayUniforms(key, 20_000, 20_040)(20_000 + i), { s: 1, t: 45 }))).toBeGreaterThan(20)
    expect(many((i) => discreteLaplace(dayUniforms(seriesKey(seed('link'), `series ${i}`), 20_000, 20_001)(20_000), { s: 1, t: 45 }))).toBeGreaterThan(20)
    expect(many((i) => discreteLaplace(dayUniforms(seriesKey(seed(`link ${i}`), 'series'), 20_000, 20_001)(20_000), { s: 1, t: 45 }))).toBeGreaterThan(20)
  })

  it('gives the exact tail of one draw, P(N ≥ a) = p^a / (1 + p), and bounds the tail of a sum from above, within a factor of 30 (a looser bound costs a threshold only its logarithm, in scales)', () => {
    for (const a of [1, 5, 20, 60]) expect(tailBound(scale, 1, a)).toBeCloseTo(p ** a / (1 + p), 12)
    // The exact distribution of a sum of 10 draws, by convolution.
    let sum = new Map([[0, 1]])
    for (let i = 0; i < 10; i++) {
      const next = new Map<number, number>()
      for (const [s, q] of sum) for (let x = -150; x <= 150; x++) next.set(s + x, (next.get(s + x) ?? 0) + q * pmf(x))
      sum = next
    }
    for (const a of [10, 30, 60, 90]) {
      const exact = [...sum].filter(([s]) => s >= a).reduce((total, [, q]) => total + q, 0)
      expect(tailBound(scale, 10, a)).toBeGreaterThanOrEqual(exact)
      expect(tailBound(scale, 10, a) / exact).toBeLessThan(30)
    }
  })

  it('bounds the tail of a sum of 30 draws: 20,000 simulated sums pass the 1 % quantile less than 1 % of the time', () => {
    const a = tailQuantile(scale, 30, 0.01)
    let over = 0
    for (let i = 0; i < 20_000; i++) {
      const uniforms = dayUniforms(seriesKey(seed('sums'), `sum ${i}`), 0, 30)
      let s = 0
      for (let day = 0; day < 30; day++) s += discreteLaplace(uniforms(day), scale)
      if (s >= a) over++
    }
    expect(over / 20_000).toBeLessThan(0.01)
    // And it is not absurdly loose: past half that quantile, plenty of sums remain.
    expect(over).toBeGreaterThan(0)
  })

  it('is reproducible from a seed alone (keyedUniform, the hash-only source)', () => {
    const draw = () => discreteLaplace(keyedUniform(seed('again'), 'cell'), scale)
    expect(draw()).toBe(draw())
  })
})

const site: Site = { id: 'public.test', origins: [], timezone: 'Europe/Madrid', shares: [] }
const link = (panels = DEFAULT_PANELS, epsilon = 1): ShareLink => withShare({ sites: [site], tokens: [] }, site, { epsilon, panels }).link

describe('what a share link may be asked', () => {
  const now = Date.parse('2026-12-06T10:00:00Z')
  const ask = (query: string, at = now, shared = link()) => parsePublicQuery(new URLSearchParams(query), site, shared, at)

  it.each([
    ['period=today', 'period', 'complete days'],
    ['period=7d&interval=hour', 'interval', 'day or month'],
    ['period=custom&from=2026-10-03&to=2026-10-31', 'to', 'whole months'],
    ['period=custom&from=2026-11-01&to=2026-12-31', 'to', 'whole months'],
    ['period=30d&k=5', 'k', 'noise'],
    ['period=30d&filter=path:/a&filter=country:ES', 'filter', 'one filter'],
    ['period=30d&filter=browser:Chrome', 'filter', 'this link shows'],
    ['period=fortnight', 'period', 'must be one of'],
  ])('refuses %s, naming %s', (query, field, words) => {
    const parsed = ask(query)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.error.field).toBe(field)
      expect(parsed.error.message).toContain(words)
    }
  })

  it('ends every named period at the last complete day, and takes whole months that have ended', () => {
    const range = (query: string, at = now) => {
      const parsed = ask(query, at)
      return parsed.ok ? `${parsed.query.from}..${parsed.query.to} ${parsed.query.interval}` : parsed.error.message
    }
    expect(range('period=yesterday')).toBe('2026-12-05..2026-12-05 day')
    expect(range('period=7d')).toBe('2026-11-29..2026-12-05 day')
    expect(range('period=30d')).toBe('2026-11-06..2026-12-05 day')
    expect(range('period=month')).toBe('2026-12-01..2026-12-05 day')
    expect(range('period=last-month')).toBe('2026-11-01..2026-11-30 day')
    expect(range('period=12mo')).toBe('2026-01-01..2026-12-05 month')
    expect(range('period=custom&from=2026-09-01&to=2026-11-30')).toBe('2026-09-01..2026-11-30 day')
    expect(range('period=month', Date.parse('2026-12-01T10:00:00Z'))).toContain('has no complete day yet')
    // Yesterday is complete an hour after midnight (Madrid is UTC+1 in December).
    expect(range('period=yesterday', Date.parse('2026-12-05T23:30:00Z'))).toBe('2026-12-04..2026-12-04 day')
    expect(range('period=yesterday', Date.parse('2026-12-06T00:00:00Z'))).toBe('2026-12-05..2026-12-05 day')
  })

  it(`lets one day fall in at most RANGES_PER_DAY = ${RANGES_PER_DAY} different ranges, over four years of asking`, () => {
    // The first day of a 31-day month, whose 12 months to come hold a 29 February: the most ranges.
    const day = '2027-03-01'
    const ranges = new Set<string>()
    const keep = (query: string, at: number) => {
      const parsed = ask(query, at)
      if (parsed.ok && parsed.query.from <= day && parsed.query.to >= day) ranges.add(`${parsed.query.from} ${parsed.query.to}`)
    }
    for (let date = '2025-02-01'; date <= '2029-03-31'; date = addDays(date, 1)) {
      const at = Date.parse(`${date}T12:00:00Z`)
      for (const period of ['yesterday', '7d', '30d', 'month', 'last-month', '12mo']) keep(`period=${period}`, at)
    }
    // Whole months m1..m2 of at most 3 years around the day's month, asked once they have ended.
    const month = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
    const march = 2027 * 12 + 2
    const late = Date.parse('2031-06-15T12:00:00Z')
    for (let m1 = march - 40; m1 <= march; m1++) {
      for (let m2 = march; m2 <= march + 40; m2++) keep(`period=custom&from=${month(m1)}-01&to=${addDays(`${month(m2 + 1)}-01`, -1)}`, late)
    }
    expect(ranges.size).toBeLessThanOrEqual(RANGES_PER_DAY)
    // Nearly tight: the sum counts some ranges twice (a "12mo" ending with a month is a custom range
    // of 12 months; "last-month" a custom month; "yesterday", "7d" and "30d" from the 1st are "month"
    // asked on the 2nd, 8th and 31st) and "month" is 30 ranges, its 31st being "last-month".
    expect(ranges.size).toBe(RANGES_PER_DAY - 17)
  })
})

describe('what a link releases', () => {
  it('adds noise of scale L1/ε per kind of record: the default panels count 3 page counters in 5 dimensions', () => {
    const release = releaseOf(link(DEFAULT_PANELS, 0.5), RANGES_PER_DAY)
    // total, path, referrer, country, device: 5 × (views, visits, visitors) = 15; ε = 0.5 → scale 30.
    expect(release.scale.pages.t / release.scale.pages.s).toBe(30)
    // Events touch total, path, country, device and their name: 5 → scale 10.
    expect(release.scale.events.t / release.scale.events.s).toBe(10)
    // page (views), entry_page (visits), referrer (visitors or visits), event (events): 5 tests a day.
    expect(release.deltaPerTest).toBeCloseTo(DELTA / (RANGES_PER_DAY * 5), 20)
  })

  it('needs a row of an open list to reach a threshold that grows with the cells it sums, slower than they do', () => {
    const release = releaseOf(link(), RANGES_PER_DAY)
    const [day, month, year] = [1, 30, 365].map((cells) => thresholdOf(release, 'pages', cells))
    expect(day).toBeLessThan(month!)
    expect(month).toBeLessThan(year!)
    expect(year! / 365).toBeLessThan(month! / 30)
  })
})

for (const underTest of storesUnderTest()) {
  describeStore(underTest, "a share link's answers", () => {
    let store: Store & { url: string }
    const demo = DEMO_SITES[0]!
    // A fixed instant and a fixed seed per store: the same data and the same noise at every run, so
    // that what the figures are checked for (a busy day's noisy figures are never cut at 0) holds
    // or fails reproducibly, not once in a few hundred runs.
    const shared: ShareLink = {
      id: `public-view-${underTest.name}-0123456789`,
      epsilon: 1,
      seed: seed(`public view ${underTest.name}`).toString('base64url'),
      panels: ['page', 'entry_page', 'referrer', 'country', 'browser', 'browser_version', 'consent', 'event'],
      created: '',
    }
    const now = Date.parse('2026-12-06T12:00:00Z')
    const ask = async (query: string, shareLink = shared) => {
      const parsed = parsePublicQuery(new URLSearchParams(query), demo, shareLink, now)
      if (!parsed.ok) throw new Error(parsed.error.message)
      return runPublicStats(store, parsed.query)
    }
    const exact = async (query: string) => {
      const parsed = parseStatsQuery(new URLSearchParams(query), demo, now)
      if (!parsed.ok) throw new Error(parsed.error.message)
      return runStats(store, parsed.query)
    }
    beforeAll(async () => {
      store = await underTest.open()
      await seedDemo(store, { days: 70, now })
    })
    afterAll(() => store?.close())

    it('gives the same answer to the same question, and noisy figures near the exact ones', async () => {
      const query = 'period=30d&breakdown=page,country'
      const [first, again, owner] = [await ask(query), await ask(query), await exact(query)]
      expect(again).toEqual(first)
      expect(first.metrics!.pageviews).not.toBe(owner.metrics!.pageviews)
      expect(Math.abs(first.metrics!.pageviews! - owner.metrics!.pageviews!)).toBeLessThan(6 * first.public!.error.range.pages)
      expect(first.public!.threshold.pages).toBe(thresholdOf(releaseOf(shared, RANGES_PER_DAY), 'pages', 30))
    })

    it('makes every larger figure a sum of its noisy days: the chart adds up to the top line, a month to its days', async () => {
      const days = await ask('period=30d&interval=day')
      const sum = (result: StatsResult, key: 'pageviews' | 'visits' | 'visitors') => result.timeseries!.reduce((n, b) => n + b[key]!, 0)
      // The demo site is busy enough that no day's noisy figure is cut at 0, which would break the sum.
      expect(days.timeseries!.every((b) => b.pageviews! > 0 && b.visits! > 0 && b.visitors! > 0)).toBe(true)
      for (const key of ['pageviews', 'visits', 'visitors'] as const) expect(sum(days, key)).toBe(days.metrics![key])
      const month = await ask('period=last-month&interval=month')
      const itsDays = await ask('period=last-month&interval=day')
      expect(month.timeseries).toHaveLength(1)
      expect(month.timeseries![0]!.pageviews).toBe(sum(itsDays, 'pageviews'))
      expect(month.metrics!.pageviews).toBe(itsDays.metrics!.pageviews)
    })

    it("answers a filter with the same figures as the value's row: one set of cells, whichever way it is asked", async () => {
      const rows = (await ask('period=30d&breakdown=page')).breakdowns!.page!.rows
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows.slice(0, 3)) {
        const filtered = await ask(`period=30d&filter=path:${row.value}&breakdown=page`)
        expect(filtered.metrics).toMatchObject({ pageviews: row.pageviews, visits: row.visits, visitors: row.visitors })
        expect(filtered.breakdowns!.page!.rows).toEqual([row])
      }
    })

    it('lists rows of open lists only above the threshold, lists closed ones whole, and has no "(other)" row', async () => {
      const result = await ask('period=30d&breakdown=page,entry_page,referrer,country,browser_version,consent')
      const { threshold } = result.public!
      const listed = Object.values(result.breakdowns!).flatMap((b) => b!.rows)
      expect(listed.some((row) => row.value === '(other)')).toBe(false)
      for (const row of result.breakdowns!.page!.rows) expect(row.pageviews!).toBeGreaterThanOrEqual(threshold.pages)
      for (const row of result.breakdowns!.entry_page!.rows) expect(row.visits!).toBeGreaterThanOrEqual(threshold.pages)
      for (const row of result.breakdowns!.referrer!.rows) expect(Math.max(row.visits!, row.visitors!)).toBeGreaterThanOrEqual(threshold.pages)
      // The demo's visitors come from seven time zones: their countries are listed though each is below the open lists' threshold.
      expect(result.breakdowns!.country!.rows.length).toBeGreaterThanOrEqual(4)
      // Consent decisions are a closed list too: the commonest (half of them) is listed, nothing beyond the list ever is.
      const decisions = result.breakdowns!.consent!.rows.map((r) => r.value)
      expect(decisions).toContain('accept-all')
      for (const decision of decisions) expect(CONSENT_DECISIONS).toContain(decision)
      // Engagement is not released: a page view may add a day of seconds.
      expect(result.breakdowns!.page!.rows[0]).not.toHaveProperty('avg_engagement_seconds')
    })

    it('answers a panel of another link with a sentence, and a breakdown under another dimension’s filter with one too', async () => {
      const result = await ask('period=7d&breakdown=page,os&filter=country:ES')
      expect(result.breakdowns!.os!.unavailable).toBe('Operating systems are not part of this shared view.')
      expect(result.breakdowns!.page!.unavailable).toContain('under the filter country:ES are not part of a shared view')
      expect(result.metrics!.pageviews).toBeGreaterThan(0)
    })

    it('gives another link of the same site other noise', async () => {
      const other = withShare({ sites: [demo], tokens: [] }, demo, { epsilon: 1, panels: shared.panels }).link
      const query = 'period=30d&interval=day'
      const [a, b] = [await ask(query), await ask(query, other)]
      expect(a.timeseries!.map((x) => x.pageviews)).not.toEqual(b.timeseries!.map((x) => x.pageviews))
    })

    it('ends at the last complete day: the day before the one an hour ago', async () => {
      expect((await ask('period=7d')).to).toBe(addDays(today(demo.timezone, now - SETTLE_MS), -1))
    })
  })
}

describe('the accuracy table of docs/privacy.md', () => {
  const now = Date.parse('2026-12-06T12:00:00Z')
  const demo = DEMO_SITES[0]!
  let store: Store & { url: string }
  beforeAll(async () => {
    store = await storesUnderTest()[0]!.open()
    await seedDemo(store, { days: 70, now })
  })
  afterAll(() => store?.close())

  it('quotes what the noise of the default panels costs, computed and measured on the demo site', async () => {
    const parsed = parseStatsQuery(new URLSearchParams('period=custom&from=2026-11-06&to=2026-12-05&breakdown=page&limit=1000'), demo, now)
    if (!parsed.ok) throw new Error(parsed.error.message)
    const exact = await runStats(store, parsed.query)
    const pages = exact.breakdowns!.page!.rows.length
    const perDay = Math.round(exact.metrics!.pageviews! / 30 / 10) * 10
    const figure = (n: number) => Math.round(n).toLocaleString('en')
    const rows: string[] = []
    for (const epsilon of [0.5, 1, 2, 4]) {
      const release = releaseOf({ epsilon, panels: DEFAULT_PANELS }, RANGES_PER_DAY)
      const errors: number[] = []
      const listed: number[] = []
      for (let i = 0; i < 40; i++) {
        const shared: ShareLink = { id: `docs-link-${i}-0123456789`, epsilon, panels: DEFAULT_PANELS, seed: seed(`docs ${epsilon} ${i}`).toString('base64url'), created: '' }
        const query = parsePublicQuery(new URLSearchParams('period=30d&breakdown=page&limit=1000'), demo, shared, now)
        if (!query.ok) throw new Error(query.error.message)
        const answer = await runPublicStats(store, query.query)
        errors.push(answer.metrics!.pageviews! - exact.metrics!.pageviews!)
        listed.push(answer.breakdowns!.page!.rows.length)
      }
      const rms = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length)
      const median = listed.sort((a, b) => a - b)[20]!
      rows.push(
        `| ${epsilon} | ±${figure(errorOf(release, 'pages', 1))} | ±${figure(errorOf(release, 'pages', 30))} | ${figure(thresholdOf(release, 'pages', 1))} | ${figure(thresholdOf(release, 'pages', 30))} | ${figure(thresholdOf(release, 'pages', 365))} | ±${figure(rms)} | ${median} of ${pages} |`,
      )
    }
    console.log(`[accuracy] about ${perDay} page views a day\n${rows.join('\n')}`)
    const doc = readFileSync('docs/privacy.md', 'utf8')
    expect(doc).toContain(`about ${perDay} page views a day`)
    for (const row of rows) expect(doc).toContain(row)
  })
})
