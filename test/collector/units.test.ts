import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { seedDemo } from '../../src/cli/demo-data.js'
import { formatReport } from '../../src/cli/report-format.js'
import { countedLog } from '../../src/collector/http/counted-log.js'
import { countryOf, describeClient } from '../../src/collector/ingest/enrich.js'
import { keepParams } from '../../src/collector/ingest/ingest.js'
import { realtimeCounter } from '../../src/collector/ingest/realtime.js'
import { consentRows, tierRows } from '../../src/collector/ingest/tiers.js'
import { detailStart, expireMarginals, marginalStart } from '../../src/collector/retention.js'
import type { Row } from '../../src/collector/schema.js'
import { importKey } from '../../src/collector/sites/sites.js'
import { addDays, calendar, dayNumber, localTime, monthNumber, startHour } from '../../src/collector/sites/time-zone.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { marginalParts, periodRange } from '../../src/collector/stats/periods.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import { defused, toCsv, undefused } from '../../src/shared/stats-csv.js'
import { marginalEdgeRows } from '../fixtures/marginal-edge-rows.js'
import { referenceStore } from './reference-store.js'

const HOUR = 3_600_000

describe('days in a time zone', () => {
  it.each([
    ['UTC', '2026-03-29', Date.UTC(2026, 2, 29, 0)],
    ['Europe/Madrid', '2026-03-29', Date.UTC(2026, 2, 28, 23)], // CET, the day of the change
    ['Europe/Madrid', '2026-03-30', Date.UTC(2026, 2, 29, 22)], // CEST
    ['America/New_York', '2026-11-01', Date.UTC(2026, 10, 1, 4)], // EDT until 06:00 UTC that day
    ['America/New_York', '2026-11-02', Date.UTC(2026, 10, 2, 5)], // EST
    ['Asia/Kolkata', '2026-01-01', Date.UTC(2025, 11, 31, 19)], // +05:30, rounded up to the hour
    ['Pacific/Kiritimati', '2026-01-01', Date.UTC(2025, 11, 31, 10)], // +14:00
    ['America/Santiago', '2026-09-06', Date.UTC(2026, 8, 6, 4)], // clocks jump from 00:00 to 01:00: no midnight
    ['America/Havana', '2026-03-08', Date.UTC(2026, 2, 8, 5)], // the same in Cuba
    ['Asia/Beirut', '2026-03-29', Date.UTC(2026, 2, 28, 22)],
    ['Africa/Cairo', '2026-04-24', Date.UTC(2026, 3, 23, 22)],
  ])('%s: %s starts at the right UTC hour', (zone, date, ms) => {
    expect(startHour(date, zone) * HOUR).toBe(ms)
  })

  it('starts every day of 2026 at the first hour whose local date is that day, in zones with odd transitions', () => {
    for (const zone of ['America/Santiago', 'America/Havana', 'Asia/Beirut', 'Africa/Cairo', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia']) {
      for (let date = '2026-01-01'; date < '2027-01-01'; date = addDays(date, 1)) {
        const hour = startHour(date, zone)
        expect(localTime(hour * HOUR, zone).date, `${zone} ${date}`).toBe(date)
        expect(localTime((hour - 1) * HOUR, zone).date < date, `${zone} ${date}: the hour before`).toBe(true)
      }
    }
  })

  it('has 23 hours on the day clocks go forward and 25 when they go back', () => {
    expect(startHour('2026-03-30', 'Europe/Madrid') - startHour('2026-03-29', 'Europe/Madrid')).toBe(23)
    expect(startHour('2026-10-26', 'Europe/Madrid') - startHour('2026-10-25', 'Europe/Madrid')).toBe(25)
  })

  it('names local dates and hours, and adds days across months and years', () => {
    expect(localTime(Date.UTC(2026, 0, 1, 3), 'America/New_York')).toEqual({ date: '2025-12-31', hour: '22' })
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
  })

  it.each([
    ['today', { from: '2026-11-23', to: '2026-11-23' }],
    ['yesterday', { from: '2026-11-22', to: '2026-11-22' }],
    ['7d', { from: '2026-11-17', to: '2026-11-23' }],
    ['30d', { from: '2026-10-25', to: '2026-11-23' }],
    ['month', { from: '2026-11-01', to: '2026-11-23' }],
    ['last-month', { from: '2026-10-01', to: '2026-10-31' }],
    ['12mo', { from: '2025-12-01', to: '2026-11-23' }],
  ] as const)('period %s', (period, range) => {
    expect(periodRange(period, '2026-11-23')).toEqual(range)
  })
})

describe('enrichment', () => {
  const headers = (init: Record<string, string>) => new Headers(init)
  it('keeps browser family and major version, OS and device class', () => {
    expect(describeClient(headers({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' }))).toEqual({
      browser: 'Firefox',
      browser_version: '133',
      os: 'Linux',
      device: 'desktop',
    })
    expect(
      describeClient(
        headers({ 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' }),
      ),
    ).toEqual({ browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' })
  })

  it('prefers Client Hints, skipping GREASE brands', () => {
    const client = describeClient(
      headers({
        'user-agent': 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
        'sec-ch-ua': '"Not_A Brand";v="8", "Chromium";v="131", "Google Chrome";v="131"',
        'sec-ch-ua-platform': '"Android"',
        'sec-ch-ua-mobile': '?1',
      }),
    )
    expect(client).toEqual({ browser: 'Chrome', browser_version: '131', os: 'Android', device: 'mobile' })
  })

  it('keeps only known Client Hints values, so a crafted header cannot store an identifier', () => {
    const client = describeClient(
      headers({
        'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
        'sec-ch-ua': '"user-4f1c9a2e";v="131", "Microsoft Edge";v="131123", "Chromium";v="131"',
        'sec-ch-ua-platform': '"jane.doe@example.org"',
        'sec-ch-ua-mobile': '?0',
      }),
    )
    // The unknown brand is skipped, the over-long version refused, the platform left to the user agent.
    expect(client).toEqual({ browser: 'Chromium', browser_version: '131', os: 'Windows', device: 'desktop' })
    const edge = describeClient(
      headers({ 'user-agent': 'Mozilla/5.0 (Macintosh) Chrome/131.0.0.0', 'sec-ch-ua': '"Microsoft Edge";v="131", "Not?A_Brand";v="99"', 'sec-ch-ua-platform': '"macOS"' }),
    )
    expect(edge).toMatchObject({ browser: 'Edge', browser_version: '131', os: 'Mac OS' })
  })

  it.each(['', 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0)', 'curl/8.5.0', 'HeadlessChrome/131.0.0.0'])(
    'drops %j as a bot',
    (agent) => {
      expect(describeClient(headers({ 'user-agent': agent }))).toBeNull()
    },
  )

  it('maps time zones to countries, links included, and nothing else', () => {
    expect(['Europe/Madrid', 'Atlantic/Canary', 'America/Mexico_City', 'Asia/Calcutta', 'US/Eastern', 'UTC', 'Mars/Base', undefined].map(countryOf)).toEqual([
      'ES',
      'ES',
      'MX',
      'IN',
      'US',
      '',
      '',
      '',
    ])
  })
})

describe('time zone to country, for every name a browser can report', () => {
  // CLDR's territory data as Node's ICU holds it: the time zones of each region. Region codes ICU
  // only aliases (RH for ZW, YU for RS) are skipped: und-RH is und-ZW once canonicalised.
  const cldr = new Map<string, string[]>()
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
  for (const a of letters) {
    for (const b of letters) {
      const locale = new Intl.Locale(`und-${a}${b}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] }
      if (locale.region !== a + b) continue
      for (const zone of locale.getTimeZones?.() ?? locale.timeZones ?? []) cldr.set(zone, [...(cldr.get(zone) ?? []), a + b])
    }
  }
  const names = Intl.supportedValuesOf('timeZone')
  // tzdata lists Crimea under RU first and UA second (zone1970.tab); CLDR under UA. Either is a guess.
  const DISPUTED: Record<string, string[]> = { 'Europe/Simferopol': ['RU', 'UA'] }

  it('has CLDR territory data for every supported name', () => {
    expect(names.length).toBeGreaterThan(400)
    expect(names.filter((name) => !cldr.has(name))).toEqual([])
  })

  it("gives each name CLDR's country (the four names a link once sent across a border among them)", () => {
    const wrong = names.filter((name) => !DISPUTED[name] && !cldr.get(name)!.includes(countryOf(name))).map((name) => `${name}: ${countryOf(name)}, CLDR ${cldr.get(name)}`)
    expect(wrong).toEqual([])
    expect(['Africa/Asmera', 'Pacific/Ponape', 'Pacific/Truk', 'America/Coral_Harbour'].map(countryOf)).toEqual(['ER', 'FM', 'FM', 'CA'])
    for (const [name, countries] of Object.entries(DISPUTED)) {
      expect(countries).toContain(countryOf(name))
      expect(countries).toEqual(expect.arrayContaining(cldr.get(name)!))
    }
  })
})

describe('query parameters kept by the collector', () => {
  it.each([
    ['/a', [], '/a'],
    ['/a?page=2', [], '/a'],
    ['/a?page=2&session=x1', ['page'], '/a?page=2'],
    ['/a?session=x1', ['page'], '/a'],
  ])('%s with %j is %s', (path, allowed, kept) => expect(keepParams(path, allowed)).toBe(kept))
})

describe('report output', () => {
  it('writes CSV that spreadsheets read as text, quoting what needs it', () => {
    expect(
      toCsv([
        { value: '/a,b', count: 1 },
        { value: '=HYPERLINK("x")', count: 2 },
        { value: 'say "hi"', count: 3 },
      ]),
    ).toBe('value,count\n"/a,b",1\n"\'=HYPERLINK(""x"")",2\n"say ""hi""",3\n')
  })

  it.each([
    ['=HYPERLINK("https://evil.test","click")', '\'=HYPERLINK("https://evil.test","click")'],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['+1', "'+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', "'\rCR"],
    // Behind apostrophes a formula is still one: one more, so that the import can undo exactly one.
    ["'=1", "''=1"],
    ["''-1", "'''-1"],
    ["'plain", "'plain"],
    ['a=b', 'a=b'],
    ['', ''],
  ])('defuses %j as %j, and undoes it exactly', (cell, written) => {
    expect(defused(cell)).toBe(written)
    expect(undefused(written)).toBe(cell)
  })

  it('undoes the defusing of any cell exactly (property)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ') }), (cell) => undefused(defused(cell)) === cell))
  })

  it('prints a table with the change against the previous period', () => {
    const metrics = { visitors: 10, monthly_visitors: 9, visits: 12, pageviews: 30, views_per_visit: 2.5, avg_engagement_seconds: 4, avg_scroll: 50, events: 1 }
    const text = formatReport(
      {
        site: 's',
        timezone: 'UTC',
        from: '2026-11-01',
        to: '2026-11-07',
        interval: 'day',
        filters: {},
        detail: { days: 62, from: '2026-09-06' },
        metrics,
        previous: { from: '2026-10-25', to: '2026-10-31', metrics: { ...metrics, pageviews: 20 } },
        timeseries: [],
      },
      'table',
    )
    expect(text).toMatch(/pageviews\s+30 {2}\(\+50% vs 20\)/)
  })
})

describe('demo data', () => {
  it('gives the same counts for the same seed, and other counts for another', async () => {
    const totals = async (seed: number) => {
      const store = sqliteStore(':memory:')
      await store.migrate()
      const written = await seedDemo(store, { seed, days: 4, now: Date.UTC(2026, 10, 24, 12) })
      const [pages] = (await store.query([{ site: 'demo-civic.test', parts: [{ table: 'totals', from: 0, to: 2 ** 31 }] }]))[0]!
      await store.close()
      return { written, views: Number(pages!.views), visits: Number(pages!.visits) }
    }
    const first = await totals(3)
    expect(first.views).toBeGreaterThan(100)
    expect(await totals(3)).toEqual(first)
    expect(await totals(4)).not.toEqual(first)
  })
})

describe('counted log', () => {
  it('logs the first at once, then how many more at most once per period, and nothing once they stop', () => {
    vi.useFakeTimers()
    try {
      const lines: string[] = []
      const log = countedLog(
        60_000,
        'first',
        (n) => `${n} more`,
        (line) => lines.push(line),
      )
      for (let i = 0; i < 50; i++) log.add()
      expect(lines).toEqual(['first'])
      vi.advanceTimersByTime(60_000)
      expect(lines).toEqual(['first', '49 more'])
      log.add()
      vi.advanceTimersByTime(59_999)
      expect(lines).toEqual(['first', '49 more'])
      vi.advanceTimersByTime(1)
      expect(lines).toEqual(['first', '49 more', '1 more'])
      // A quiet period ends the waiting: the next one is said at once again.
      vi.advanceTimersByTime(60_000)
      log.add()
      expect(lines).toEqual(['first', '49 more', '1 more', 'first'])
      expect(log.total()).toBe(52)
      log.stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('realtime counter', () => {
  it('sums the last five minutes per site and forgets older ones', () => {
    const counter = realtimeCounter()
    const t = Date.UTC(2026, 10, 24, 12, 0, 30)
    counter.add('a.test', 3, 1, t)
    counter.add('a.test', 2, 2, t + 4 * 60_000)
    counter.add('b.test', 7, 7, t)
    expect(counter.recent('a.test', t + 4 * 60_000)).toEqual({ pageviews: 5, visits: 3, minutes: 5 })
    expect(counter.recent('a.test', t + 5 * 60_000)).toEqual({ pageviews: 2, visits: 2, minutes: 5 })
    expect(counter.recent('b.test', t + 10 * 60_000)).toEqual({ pageviews: 0, visits: 0, minutes: 5 })
    expect(counter.recent('nobody.test', t)).toEqual({ pageviews: 0, visits: 0, minutes: 5 })
  })
})

describe('rate limit', () => {
  it('lets a burst through, refuses more, refills with time, and keeps addresses apart', async () => {
    const { rateLimiter } = await import('../../src/collector/http/rate-limit.js')
    const allow = rateLimiter({ perSecond: 2, burst: 3 })
    expect([1, 2, 3, 4].map(() => allow('198.51.100.1', 0))).toEqual([true, true, true, false])
    expect(allow('198.51.100.2', 0)).toBe(true)
    expect(allow('198.51.100.1', 500)).toBe(true)
    expect(allow('198.51.100.1', 500)).toBe(false)
    expect(allow(undefined, 0)).toBe(true)
  })
})

describe('tiers', () => {
  const page: Row = {
    table: 'detail_pages',
    site: 's',
    time: 500_000,
    dims: {
      path: '/a',
      referrer: 'news.example',
      source: 'nl',
      medium: 'email',
      campaign: 'spring',
      country: 'ES',
      language: 'es',
      screen: 'mobile',
      browser: 'Chrome',
      browser_version: '131',
      os: 'Android',
      device: 'mobile',
    },
    counts: { views: 2, visits: 1, visitors_day: 1, visitors_month: 1, seconds: 30, scroll: 40 },
  }
  const event: Row = {
    table: 'detail_events',
    site: 's',
    time: 500_000,
    dims: {
      name: 'Signup',
      path: '/join',
      props: '{"plan":"pro","size":"l"}',
      country: 'ES',
      language: 'es',
      screen: 'mobile',
      browser: 'Chrome',
      os: 'Android',
      device: 'mobile',
    },
    counts: { events: 3 },
  }

  it('counts a page record in its detail row, its hour, and one marginal row per dimension per day and month, each with one attribute', () => {
    const rows = tierRows([page], { day: 20_000, month: 657 }, true)
    expect(rows.filter((r) => r.table === 'detail_pages')).toEqual([page])
    expect(rows.filter((r) => r.table === 'totals')).toEqual([{ table: 'totals', site: 's', time: 500_000, dims: {}, counts: { ...page.counts, undetailed: 0 } }])
    const daily = rows.filter((r) => r.table === 'daily')
    expect(daily.map((r) => [r.dims.dimension, r.dims.parent, r.dims.value])).toEqual([
      ['total', '', ''],
      ['path', '', '/a'],
      ['referrer', '', 'news.example'],
      ['source', '', 'nl'],
      ['medium', '', 'email'],
      ['campaign', '', 'spring'],
      ['country', '', 'ES'],
      ['language', '', 'es'],
      ['screen', '', 'mobile'],
      ['browser', '', 'Chrome'],
      ['browser_version', 'Chrome', '131'],
      ['os', '', 'Android'],
      ['device', '', 'mobile'],
    ])
    expect(rows.filter((r) => r.table === 'monthly').map((r) => r.time)).toEqual(daily.map(() => 657))
    expect(daily.every((r) => r.time === 20_000 && r.counts === page.counts)).toBe(true)
  })

  it('counts an event in its dimensions and each of its props under its name; without detail, says so in the totals', () => {
    const rows = tierRows([event], { day: 20_000, month: 657 }, false)
    expect(rows.some((r) => r.table === 'detail_events')).toBe(false)
    expect(rows.find((r) => r.table === 'totals')!.counts).toEqual({ events: 3, undetailed: 1 })
    expect(rows.filter((r) => r.table === 'daily').map((r) => `${r.dims.dimension}|${r.dims.parent}|${r.dims.value}|${r.counts.events}`)).toEqual([
      'total|||3',
      'path||/join|3',
      'country||ES|3',
      'language||es|3',
      'screen||mobile|3',
      'browser||Chrome|3',
      'os||Android|3',
      'device||mobile|3',
      'name||Signup|3',
      'prop|Signup|plan=pro|3',
      'prop|Signup|size=l|3',
    ])
  })

  it('counts a consent decision alone: its kind, and per category granted or refused', () => {
    const rows = consentRows('s', [{ decision: 'custom', categories: { analytics: true, media: false }, count: 2 }], { day: 20_000, month: 657 })
    expect(rows.filter((r) => r.table === 'daily').map((r) => [r.dims.dimension, r.dims.value, r.counts.decisions])).toEqual([
      ['decision', 'custom', 2],
      ['category', 'analytics:granted', 2],
      ['category', 'media:refused', 2],
    ])
  })

  it('puts an hour in the local day and month it starts in', () => {
    expect(calendar(Date.UTC(2026, 9, 31, 23) / HOUR, 'Europe/Madrid')).toEqual({ day: dayNumber('2026-11-01'), month: monthNumber('2026-11-01') })
    expect(calendar(Date.UTC(2026, 9, 31, 18) / HOUR, 'Asia/Kolkata')).toEqual({ day: dayNumber('2026-10-31'), month: monthNumber('2026-10-31') })
    expect(calendar(Date.UTC(2026, 9, 31, 19) / HOUR, 'Asia/Kolkata').day).toBe(dayNumber('2026-11-01'))
  })
})

describe('marginal ranges', () => {
  const d = dayNumber
  const m = (date: string) => monthNumber(date)
  it.each([
    ['whole months up to today', '2025-12-01', '2026-11-23', '2026-11-23', [{ table: 'monthly', from: m('2025-12-01'), to: m('2026-11-01') + 1 }]],
    [
      'edge days around whole months',
      '2026-09-15',
      '2026-11-10',
      '2026-11-23',
      [
        { table: 'daily', from: d('2026-09-15'), to: d('2026-10-01') },
        { table: 'monthly', from: m('2026-10-01'), to: m('2026-10-01') + 1 },
        { table: 'daily', from: d('2026-11-01'), to: d('2026-11-11') },
      ],
    ],
    ['a month that ends on its last day', '2026-10-01', '2026-10-31', '2026-11-23', [{ table: 'monthly', from: m('2026-10-01'), to: m('2026-10-01') + 1 }]],
    ['days only, inside one month', '2026-11-03', '2026-11-20', '2026-11-23', [{ table: 'daily', from: d('2026-11-03'), to: d('2026-11-21') }]],
    ['this month so far, as its month row', '2026-11-01', '2026-11-23', '2026-11-23', [{ table: 'monthly', from: m('2026-11-01'), to: m('2026-11-01') + 1 }]],
  ] as const)('%s', (_, from, to, today, parts) => {
    expect(marginalParts({ from, to }, today)).toEqual(parts)
  })
})

describe('detail window', () => {
  it('starts at the first local hour of its first day, today included; a 0-day window keeps nothing', () => {
    const now = Date.UTC(2026, 11, 2, 10)
    expect(detailStart({ timezone: 'UTC', detailDays: 62 }, now)).toBe(Date.UTC(2026, 9, 2) / HOUR)
    expect(detailStart({ timezone: 'Europe/Madrid', detailDays: 1 }, now)).toBe(Date.UTC(2026, 11, 1, 23) / HOUR)
    expect(detailStart({ timezone: 'UTC', detailDays: 0 }, now)).toBe(Date.UTC(2026, 11, 3) / HOUR)
    expect(detailStart({ timezone: 'UTC' }, now)).toBe(Date.UTC(2026, 9, 2) / HOUR)
  })
})

describe('marginal window', () => {
  const first = (date: string, timezone: string) => ({ hour: startHour(date, timezone), day: dayNumber(date), month: monthNumber(date) })

  it('keeps the current local month and the N − 1 before it, from the first hour of the first one; none without a limit', () => {
    const now = Date.UTC(2026, 11, 2, 10)
    expect(marginalStart({ timezone: 'UTC' }, now)).toBeUndefined()
    expect(marginalStart({ timezone: 'UTC', marginalMonths: 1 }, now)).toEqual({
      hour: Date.UTC(2026, 11, 1) / HOUR,
      day: dayNumber('2026-12-01'),
      month: monthNumber('2026-12-01'),
    })
    expect(marginalStart({ timezone: 'UTC', marginalMonths: 25 }, now)).toEqual({
      hour: Date.UTC(2024, 11, 1) / HOUR,
      day: dayNumber('2024-12-01'),
      month: monthNumber('2024-12-01'),
    })
    expect(marginalStart({ timezone: 'UTC', marginalMonths: 120 }, now)).toEqual(first('2017-01-01', 'UTC'))
    // Across a year: January and the December before it.
    expect(marginalStart({ timezone: 'UTC', marginalMonths: 2 }, Date.UTC(2027, 0, 15))).toEqual(first('2026-12-01', 'UTC'))
  })

  it.each([
    // 23:30 UTC on 30 November is already 1 December east of UTC: December is the current month there.
    ['UTC', 1, '2026-11-01', Date.UTC(2026, 10, 1)],
    ['Europe/Madrid', 1, '2026-12-01', Date.UTC(2026, 10, 30, 23)],
    ['Europe/Madrid', 25, '2024-12-01', Date.UTC(2024, 10, 30, 23)],
    ['Asia/Kolkata', 12, '2026-01-01', Date.UTC(2025, 11, 31, 19)], // +05:30: the day's first whole UTC hour
    ['Pacific/Kiritimati', 1, '2026-12-01', Date.UTC(2026, 10, 30, 10)],
    ['America/New_York', 1, '2026-11-01', Date.UTC(2026, 10, 1, 4)], // still 30 November there, in EDT on the 1st
  ] as const)('at 2026-11-30T23:30Z in %s, %i month(s) start on %s at %s', (timezone, marginalMonths, date, hour) => {
    const start = marginalStart({ timezone, marginalMonths }, Date.UTC(2026, 10, 30, 23, 30))!
    expect(start).toEqual({ hour: hour / HOUR, day: dayNumber(date), month: monthNumber(date) })
    // The bounds agree with the days and months the hours are counted in: the first kept hour
    // is counted on the first kept day, the hour before it in the month before.
    expect(calendar(start.hour, timezone)).toEqual({ day: start.day, month: start.month })
    expect(calendar(start.hour - 1, timezone)).toEqual({ day: start.day - 1, month: start.month - 1 })
  })

  it.each([
    ['the reference', async () => referenceStore()],
    [
      'sqlite',
      async () => {
        const store = sqliteStore(':memory:')
        await store.migrate()
        return store
      },
    ],
  ])("expires %s's marginals of the registered sites that limit them, and no other site's", async (_, open) => {
    const store = await open()
    const now = Date.UTC(2026, 10, 30, 23, 30)
    const start = first('2026-12-01', 'Europe/Madrid')
    const rows = (site: string) => marginalEdgeRows(site, start)
    const imported = { id: 'plausible-20240101-20261231', source: 'plausible' as const, from: '2024-01-01', to: '2026-12-31', tables: ['visitors'], lines: 1, at: '' }
    // An import's rows are the site's: the limit deletes them too.
    await store.write([...rows('limited.test'), ...rows(importKey('limited.test', imported.id)), ...rows('kept.test'), ...rows('gone.test')])
    const sites = [
      { id: 'limited.test', origins: [], timezone: 'Europe/Madrid', shares: [], marginalMonths: 1, imports: [imported] },
      { id: 'kept.test', origins: [], timezone: 'Europe/Madrid', shares: [] },
    ]
    expect(await expireMarginals(store, sites, now)).toEqual([{ site: 'limited.test', before: start, deleted: 6 }])
    const views = async (site: string) =>
      Promise.all((['totals', 'daily', 'monthly'] as const).map(async (table) => Number((await store.query([{ site, parts: [{ table, from: 0, to: 2 ** 31 }] }]))[0]![0]!.views)))
    expect(await views('limited.test')).toEqual([2, 2, 2])
    expect(await views(importKey('limited.test', imported.id))).toEqual([2, 2, 2])
    expect(await views('kept.test')).toEqual([3, 3, 3])
    // No longer registered: no limit applies (unlike detail, marginals have no default window).
    expect(await views('gone.test')).toEqual([3, 3, 3])
    await store.close()
  })
})

describe('stats parameters', () => {
  const site = { id: 's.test', origins: [], timezone: 'UTC', shares: [] }
  const parse = (params: string) => parseStatsQuery(new URLSearchParams(params), site, Date.UTC(2026, 11, 2))
  it('reads what a request asks for, and nothing more', () => {
    expect(parse('breakdown=page,referrer&breakdown=prop&include=none')).toMatchObject({
      ok: true,
      query: { breakdowns: ['page', 'referrer', 'prop'], metrics: false, timeseries: false, detailDays: 62 },
    })
    expect(parse('include=metrics')).toMatchObject({ ok: true, query: { breakdowns: [], metrics: true, timeseries: false } })
    expect(parse('')).toMatchObject({ ok: true, query: { metrics: true, timeseries: true, compare: false } })
  })
  it.each([
    ['breakdown=page,nope', 'breakdown: must be one or more of page, entry_page'],
    ['breakdown=page&breakdown=page', 'breakdown: names page twice'],
    ['include=metrics,chart', 'include: must be a comma-separated list of metrics, timeseries, or none (got "metrics,chart")'],
    ['filter=prop:plan=pro', 'filter: must be dimension:value with a dimension among path, referrer'],
  ])('%s is refused: %s', (params, message) => {
    const parsed = parse(params)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.error.message).toContain(message)
  })
})
