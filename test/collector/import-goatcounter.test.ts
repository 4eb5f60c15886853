import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { daySessions, goatcounterTable, screenClassOf } from '../../src/collector/formats/goatcounter/import.js'
import { openExport } from '../../src/collector/imports/export-files.js'
import { IMPORT_LACKS } from '../../src/collector/imports/lacks.js'
import { ImportRefused, type Plan, runImport } from '../../src/collector/imports/run-import.js'
import { IMPORT_ID, type Site } from '../../src/collector/sites/sites.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { AGENTS, GOATCOUNTER_LINES, goatcounterCsv, SESSIONS, TITLE, writeGoatcounterExport } from '../fixtures/goatcounter-export.js'
import { describeStore, dumpTables, storesUnderTest } from './stores.js'

const PLAN: Plan = { source: 'goatcounter', tableOf: goatcounterTable, record: 'files' }
const SITE: Site = { id: 'goat.test', origins: [], timezone: 'Europe/Madrid', shares: [] }
const NOW = Date.UTC(2024, 1, 1, 12)

async function stats(store: Store, site: Site, params: string, from = '2024-01-01', to = '2024-01-03') {
  const parsed = parseStatsQuery(new URLSearchParams(`from=${from}&to=${to}&${params}`), site, NOW)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return runStats(store, parsed.query)
}
const values = (rows: { value: string; parent?: string }[] | undefined, counter: 'visitors' | 'visits' | 'pageviews' | 'count') =>
  Object.fromEntries((rows ?? []).map((r) => [r.value, (r as Record<string, unknown>)[counter]]))

describe('goatcounter import, without a store', () => {
  it('puts widths in the screen classes of the tracker', () => {
    // The tracker's own function (src/shared/protocol.ts screenClass), with 0 for "unknown".
    expect([0, 1, 575, 576, 991, 992, 1439, 1440, 3840].map(screenClassOf)).toEqual(['', 'mobile', 'mobile', 'tablet', 'tablet', 'laptop', 'laptop', 'desktop', 'desktop'])
  })

  it('counts a session once per day, holds two days, and counts a line of an older day as a visit of its own', () => {
    const sessions = daySessions()
    const first = (date: string, session: string) => sessions.first(date, session)
    expect([first('2024-01-01', 'a'), first('2024-01-01', 'a'), first('2024-01-01', 'b'), first('2024-01-02', 'a')]).toEqual([true, false, true, true])
    // The previous day is still held: a line a little out of order is no new visit.
    expect(first('2024-01-01', 'b')).toBe(false)
    expect(sessions.late).toBe(0)
    expect(first('2024-01-03', 'a')).toBe(true)
    // 1 January was dropped when the 3rd began.
    expect(first('2024-01-01', 'a')).toBe(true)
    expect(sessions.late).toBe(1)
  })

  it('names the import as the registry wants it', () => {
    expect(IMPORT_ID.test('goatcounter-20240101-20240103')).toBe(true)
  })
})

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'import goatcounter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-goatcounter-'))
    let store: Store & { url: string }
    let site: Site
    let file: string
    beforeAll(async () => {
      store = await underTest.open()
      file = writeGoatcounterExport(dir)
      const source = await openExport(file)
      const report = await runImport(store, SITE, source.files, PLAN)
      site = { ...SITE, imports: [report.import] }
      expect(report.import).toMatchObject({
        id: 'goatcounter-20240101-20240103',
        source: 'goatcounter',
        from: '2024-01-01',
        to: '2024-01-03',
        lines: 14,
        tables: ['goatcounter-export-example-20240104T120000Z-0.csv'],
      })
      expect(report.skipped).toBe(3)
      expect(report.notes).toEqual([
        'goatcounter-export-example-20240104T120000Z-0.csv: 2 line(s) skipped: bots by GoatCounter (Bot 2 or more)',
        'goatcounter-export-example-20240104T120000Z-0.csv: 1 line(s) skipped: bots by their user agent (as the collector drops them)',
      ])
    })
    afterAll(async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('counts views, a visit per session and day, and events', async () => {
      const result = await stats(store, site, 'include=metrics')
      expect(result.metrics).toMatchObject({ pageviews: 12, visits: 6, visitors: 6, events: 2 })
      // Not in GoatCounter's export: not known, where a 0 would make the average engagement 0.
      expect(result.metrics).toMatchObject({ monthly_visitors: null, avg_engagement_seconds: null, avg_scroll: null })
      expect(result.imported).toEqual([{ source: 'goatcounter', from: '2024-01-01', to: '2024-01-03', lacks: IMPORT_LACKS.goatcounter }])
      expect(IMPORT_LACKS.goatcounter).toEqual(['medium', 'campaign', 'language', 'prop', 'consent'])
    })

    it("counts each line on the site's day: 23:30 UTC is the next day in Madrid", async () => {
      const day = async (date: string) => (await stats(store, site, 'include=metrics', date, date)).metrics
      expect(await day('2024-01-01')).toMatchObject({ pageviews: 4, visits: 2, visitors: 2, events: 1 })
      expect(await day('2024-01-02')).toMatchObject({ pageviews: 5, visits: 3, visitors: 3, events: 1 })
      expect(await day('2024-01-03')).toMatchObject({ pageviews: 3, visits: 1, visitors: 1, events: 0 })
    })

    it('maps every column with a counterpart to its breakdown', async () => {
      const all = 'page,entry_page,referrer,source,country,browser,os,device,screen,event'
      const { breakdowns: b } = await stats(store, site, `include=none&breakdown=${all}`)
      // Queries and ;matrix parameters dropped, as the collector does with a site's defaults.
      expect(values(b!.page!.rows, 'pageviews')).toEqual({ '/': 6, '/about': 3, '/pricing': 1, '/old': 1, '/it\'s "quoted"': 1 })
      // A visit on the page it started on.
      expect(values(b!.entry_page!.rows, 'visits')).toEqual({ '/': 4, '/pricing': 1, '/it\'s "quoted"': 1 })
      expect(values(b!.referrer!.rows, 'pageviews')).toEqual({ '': 10, 'news.ycombinator.com': 1, 'google.com': 1 })
      // A generated name ("Hacker News") and a campaign parameter are sources, not hosts.
      expect(values(b!.source!.rows, 'pageviews')).toEqual({ '': 10, 'Hacker News': 1, newsletter: 1 })
      expect(values(b!.country!.rows, 'pageviews')).toEqual({ ES: 4, DE: 3, FR: 2, US: 2, '': 1 })
      expect(values(b!.country!.rows, 'visitors')).toEqual({ ES: 2, FR: 2, US: 1, DE: 1, '': 0 })
      // From the user agent through the collector's parser, or from GoatCounter's own names.
      expect(values(b!.browser!.rows, 'pageviews')).toEqual({ Firefox: 5, Safari: 3, Chrome: 2, 'Mobile Safari': 2 })
      expect(values(b!.os!.rows, 'pageviews')).toEqual({ Linux: 5, 'Mac OS': 3, Windows: 2, iOS: 2 })
      expect(values(b!.device!.rows, 'pageviews')).toEqual({ desktop: 9, mobile: 2, '': 1 })
      expect(values(b!.screen!.rows, 'pageviews')).toEqual({ desktop: 7, laptop: 2, mobile: 2, '': 1 })
      expect(values(b!.event!.rows, 'count')).toEqual({ Signup: 1, 'Outbound Link': 1 })
    })

    it('keeps browser versions under their browser', async () => {
      const versions = async (browser: string) =>
        values((await stats(store, site, `include=none&breakdown=browser_version&filter=browser:${browser}`)).breakdowns!.browser_version!.rows, 'pageviews')
      expect(await versions('Firefox')).toEqual({ '133': 4, '115': 1 })
      expect(await versions('Safari')).toEqual({ '17': 3 })
      expect(await versions('Mobile Safari')).toEqual({ '18': 2 })
    })

    it('puts the totals in the hour of each line, so the chart of an imported day has its hours', async () => {
      const result = await stats(store, site, 'include=metrics,timeseries&interval=hour', '2024-01-02', '2024-01-02')
      expect(result.unavailable).toBeUndefined()
      const hours = (result.timeseries ?? []).filter((b) => b.pageviews || b.events).map((b) => [b.bucket, b.pageviews, b.visits, b.events])
      // Madrid times of the views at 00:30, 09:00, 11:00, 12:00 and 14:00, and the event at 13:00.
      expect(hours).toEqual([
        ['2024-01-02T00', 1, 1, 0],
        ['2024-01-02T09', 1, 0, 0],
        ['2024-01-02T11', 1, 1, 0],
        ['2024-01-02T12', 1, 0, 0],
        ['2024-01-02T13', 0, 0, 1],
        ['2024-01-02T14', 1, 1, 0],
      ])
    })

    it('replaces the same import instead of adding to it, also from the gzipped file GoatCounter mails', async () => {
      const gz = writeGoatcounterExport(join(dir, 'gz'), { gzip: true })
      const source = await openExport(gz)
      expect(source.files.map((f) => f.name)).toEqual(['goatcounter-export-example-20240104T120000Z-0.csv'])
      const again = await runImport(store, SITE, source.files, PLAN)
      expect(again.import.id).toBe('goatcounter-20240101-20240103')
      expect((await stats(store, site, 'include=metrics')).metrics).toMatchObject({ pageviews: 12, visits: 6, visitors: 6, events: 2 })
    })

    it('stores no user agent, session, title or bot line anywhere', async () => {
      const everything = JSON.stringify(await dumpTables(underTest.name, store.url))
      expect(everything).toContain('news.ycombinator.com')
      for (const secret of [...Object.values(AGENTS), ...Object.values(SESSIONS), 'Mozilla/5.0', 'Gecko/20100101', 'AppleWebKit', 'Googlebot', TITLE, 'jsessionid'])
        expect(everything.includes(secret), secret).toBe(false)
      // Nor any part of a session long enough to single it out.
      for (const session of Object.values(SESSIONS)) for (let i = 0; i + 8 <= session.length; i += 8) expect(everything.includes(session.slice(i, i + 8)), session).toBe(false)
    })

    it('refuses bad lines and headers, names each by file, line and rule, and writes nothing', async () => {
      const bad = join(dir, 'bad')
      const march = (date: string) => ({ path: '/', session: SESSIONS.s1, date })
      writeGoatcounterExport(bad, {
        name: 'a.csv',
        csv: goatcounterCsv([
          march('2024-03-01T10:00:00Z'),
          march('2024-02-30T10:00:00Z'),
          march('2024-03-01 10:00:00'),
          march('1969-12-31T23:59:59Z'),
          { path: '/signup?plan=pro', event: true, date: '2024-03-02T10:00:00Z' },
          { path: 'Call 612 345 678', event: true, date: '2024-03-02T10:00:00Z' },
          { ...march('2024-03-03T10:00:00Z'), location: 'Spain' },
          { ...march('2024-03-03T10:00:00Z'), scheme: 'x' },
          { ...march('2024-03-03T10:00:00Z'), size: 'big' },
        ]),
      })
      writeFileSync(join(bad, 'b.csv'), `${goatcounterCsv([march('2024-03-04T10:00:00Z')]).replace('2Path', '1Path')}`)
      writeFileSync(join(bad, 'c.csv'), `${goatcounterCsv([march('2024-03-04T10:00:00Z')]).replace(',FirstVisit', ',First')}`)
      writeFileSync(join(bad, 'd.csv'), goatcounterCsv([{ ...march('2024-03-05T10:00:00Z'), bot: -1 }]))
      writeFileSync(join(bad, 'e.csv'), goatcounterCsv([march('2024-03-05T10:00:00Z')]).replace(',false,', ',maybe,'))
      const refused = await runImport(store, SITE, (await openExport(bad)).files, PLAN).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ImportRefused)
      expect((refused as ImportRefused).refusals.map((r) => `${r.file}:${r.line}: ${r.rule}`)).toEqual([
        'a.csv:3: Date "2024-02-30T10:00:00Z" must be an RFC 3339 time from 1970, e.g. 2024-01-31T23:59:59Z',
        'a.csv:4: Date "2024-03-01 10:00:00" must be an RFC 3339 time from 1970, e.g. 2024-01-31T23:59:59Z',
        'a.csv:5: Date "1969-12-31T23:59:59Z" must be an RFC 3339 time from 1970, e.g. 2024-01-31T23:59:59Z',
        'a.csv:6: 2Path "/signup?plan=pro": must match /^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,39}$/',
        'a.csv:7: 2Path "Call 612 345 678": looks like personal data (phone)',
        'a.csv:8: Location "Spain" must be an ISO 3166-1 alpha-2 country, with or without a subdivision (US, US-TX), or empty',
        'a.csv:9: Referrer scheme "x" must be h, o, g, c or empty',
        'a.csv:10: Screen size "big" must be width,height,scale in numbers (1920,1080,1) or empty',
        'b.csv:1: the header must begin with 2Path, as GoatCounter\'s export format version 2 does, not "1Path" (format version 1)',
        'c.csv:1: the header lacks the column(s) FirstVisit of the goatcounter table',
        'd.csv:2: Bot "-1" must be a whole number: 0 or 1 for a person, 2 or more for isbot\'s bot codes',
        'e.csv:2: Event "maybe" must be true or false (or 1, 0, t, f, TRUE, FALSE, True, False)',
      ])
      // Nothing of March was written, under any key.
      const marchSite = { ...SITE, imports: [{ ...site.imports![0]!, id: 'goatcounter-20240301-20240305' }] }
      expect((await stats(store, marchSite, 'include=metrics', '2024-03-01', '2024-03-31')).metrics).toMatchObject({ pageviews: 0, visits: 0 })
    })

    it('names a damaged gzip file rather than blaming its CSV', async () => {
      const whole = readFileSync(writeGoatcounterExport(join(dir, 'cut'), { gzip: true }))
      const cut = join(dir, 'cut', 'cut.csv.gz')
      writeFileSync(cut, whole.subarray(0, 60))
      await expect(runImport(store, SITE, (await openExport(cut)).files, PLAN)).rejects.toThrow('cut.csv: not a readable gzip file (unexpected end of file)')
    })

    it('says so when a file has nothing but bots', async () => {
      const bots = join(dir, 'bots')
      writeGoatcounterExport(bots, { csv: goatcounterCsv(GOATCOUNTER_LINES.filter((l) => l.bot)) })
      await expect(runImport(store, SITE, (await openExport(bots)).files, PLAN)).rejects.toThrow(/nothing to import: .* but the 2 skipped/)
    })
  })
}
