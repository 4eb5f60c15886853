import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLAUSIBLE_PLAN } from '../../src/collector/formats/plausible/import.js'
import { openExport } from '../../src/collector/imports/export-files.js'
import { ImportRefused, runImport } from '../../src/collector/imports/run-import.js'
import { importKey, type Site } from '../../src/collector/sites/sites.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { PLAUSIBLE_EXPORT, PLAUSIBLE_FIRST_EXPORT, PLAUSIBLE_SHAPES, writePlausibleExport } from '../fixtures/plausible-export.js'
import { peakMemoryFlags, peakMiB } from './peak-memory.js'
import { describeStore, storesUnderTest } from './stores.js'

const PLAN = PLAUSIBLE_PLAN
const SITE: Site = { id: 'moving.test', origins: [], timezone: 'Europe/Madrid', shares: [] }
const NOW = Date.UTC(2024, 1, 1, 12)

/** The stats of the imported days, as the dashboard asks them, with the site's imports. */
async function stats(store: Store, site: Site, params: string) {
  const parsed = parseStatsQuery(new URLSearchParams(`from=2024-01-01&to=2024-01-02&${params}`), site, NOW)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return runStats(store, parsed.query)
}
const values = (rows: { value: string; parent?: string }[] | undefined, counter: 'visitors' | 'visits' | 'pageviews' | 'count') =>
  Object.fromEntries((rows ?? []).map((r) => [r.value, (r as Record<string, unknown>)[counter]]))

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'import plausible', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-import-'))
    let store: Store
    let site: Site
    beforeAll(async () => {
      store = await underTest.open()
      writePlausibleExport(join(dir, 'export'))
      const source = await openExport(join(dir, 'export'))
      const report = await runImport(store, SITE, source.files, PLAN)
      site = { ...SITE, imports: [report.import] }
      expect(report.import).toMatchObject({ id: 'plausible-20240101-20240102', from: '2024-01-01', to: '2024-01-02', lines: 31 })
      expect(report.notes).toEqual([])
    })
    afterAll(async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('shows the top line of the visitors table, and the events of custom_events', async () => {
      const result = await stats(store, site, 'include=metrics')
      expect(result.metrics).toMatchObject({ visitors: 15, visits: 18, pageviews: 39, events: 7 })
      expect(result.imported).toEqual([{ source: 'plausible', from: '2024-01-01', to: '2024-01-02', lacks: ['language', 'consent'] }])
    })

    it('maps every table with a counterpart to its breakdown', async () => {
      const all = 'page,entry_page,referrer,source,medium,campaign,country,browser,os,device,screen,event'
      const { breakdowns: b } = await stats(store, site, `include=none&breakdown=${all}`)
      expect(values(b!.page!.rows, 'pageviews')).toEqual({ '/': 29, '/about': 10, '/it\'s "quoted"': 1 })
      expect(values(b!.page!.rows, 'visitors')).toMatchObject({ '/': 13, '/about': 2 })
      expect(values(b!.entry_page!.rows, 'visits')).toEqual({ '/': 17, '/about': 1 })
      expect(values(b!.referrer!.rows, 'visitors')).toMatchObject({ 'google.com': 4, 'news.ycombinator.com': 5 })
      expect(values(b!.source!.rows, 'visitors')).toMatchObject({ newsletter: 2 })
      expect(values(b!.medium!.rows, 'visitors')).toMatchObject({ email: 2 })
      expect(values(b!.campaign!.rows, 'visitors')).toMatchObject({ spring: 2 })
      // Kept as text, and the tables are still there to answer.
      expect(b!.campaign!.rows.map((r) => r.value)).toContain("x'); DROP TABLE daily; --")
      expect(values(b!.country!.rows, 'visitors')).toEqual({ ES: 8, FR: 5, DE: 2 })
      expect(values(b!.browser!.rows, 'visitors')).toEqual({ Chrome: 6, Firefox: 5, Edge: 4 })
      expect(values(b!.os!.rows, 'visitors')).toEqual({ 'Mac OS': 6, Windows: 5, Linux: 4 })
      expect(values(b!.screen!.rows, 'visitors')).toEqual({ desktop: 6, laptop: 5, mobile: 4 })
      expect(values(b!.device!.rows, 'visitors')).toEqual({ desktop: 11, mobile: 4 })
      expect(values(b!.event!.rows, 'count')).toEqual({ Signup: 4, 'Outbound Link': 2, '404': 1 })
    })

    it('keeps browser versions under their browser and a link as the url property of its event', async () => {
      const versions = await stats(store, site, 'include=none&breakdown=browser_version&filter=browser:Edge')
      expect(values(versions.breakdowns!.browser_version!.rows, 'visitors')).toEqual({ '119': 4 })
      const props = await stats(store, site, 'include=none&breakdown=prop&filter=name:Outbound Link')
      expect(values(props.breakdowns!.prop!.rows, 'count')).toEqual({ 'url=other.example/page': 2 })
    })

    it('says that filtered breakdowns of imported days need detail the import does not have', async () => {
      const result = await stats(store, site, 'include=none&breakdown=page&filter=country:ES&filter=device:mobile')
      expect(result.breakdowns!.page!.unavailable).toMatch(/counts imported/)
    })

    it('replaces the same import instead of adding to it', async () => {
      const again = await runImport(store, SITE, (await openExport(join(dir, 'export'))).files, PLAN)
      expect(again.import.id).toBe('plausible-20240101-20240102')
      expect((await stats(store, site, 'include=metrics')).metrics).toMatchObject({ visitors: 15, visits: 18, pageviews: 39, events: 7 })
    })

    it('reads the export zip as it reads the folder', async () => {
      const yazl = (await import('yazl')).default
      const zip = new yazl.ZipFile()
      for (const [table, csv] of Object.entries(PLAUSIBLE_EXPORT)) zip.addBuffer(Buffer.from(csv), `imported_${table}_20240101_20240102.csv`)
      zip.end()
      const file = join(dir, 'export.zip')
      const chunks: Buffer[] = []
      for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
      writeFileSync(file, Buffer.concat(chunks))
      const source = await openExport(file)
      expect(source.files.map((f) => f.name)).toHaveLength(10)
      await runImport(store, SITE, source.files, PLAN)
      source.close()
      expect((await stats(store, site, 'include=metrics')).metrics).toMatchObject({ visitors: 15, pageviews: 39 })
    })

    it('refuses a file with bad lines, names each by file, line and rule, and writes nothing from it', async () => {
      const bad = join(dir, 'bad')
      writePlausibleExport(bad, {
        visitors: `date,visitors,pageviews,bounces,visits,visit_duration,mystery
2024-03-01,1,1,0,1,0,x
2024-02-30,1,1,0,1,0,x
2024-03-02,-3,1,0,1,0,x
2024-03-03,many,1,0,1,0,x
2024-03-04,1.5,1,0,1,0,x
`,
        locations: `date,country,region,city,visitors,visits,visit_duration,bounces,pageviews
2024-03-01,Spain,,0,1,1,0,0,1
`,
        pages: `date,hostname,page,visits
2024-03-01,example.org,/,1
`,
        browsers: `date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews
2024-03-01,${'b'.repeat(65)},1.0,1,1,0,0,1
`,
      })
      const files = (await openExport(bad)).files
      const refused = await runImport(store, SITE, files, PLAN).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ImportRefused)
      const lines = (refused as ImportRefused).refusals.map((r) => `${r.file.replace(/_2024.*/, '')}:${r.line}: ${r.rule}`)
      expect(lines).toEqual([
        'imported_browsers:2: browser must be at most 64 characters (has 65)',
        'imported_locations:2: country must be an ISO 3166 alpha-2 code (two capital letters)',
        'imported_pages:1: the header lacks the column(s) visitors, pageviews of the pages table',
        'imported_visitors:3: date "2024-02-30" must be a day YYYY-MM-DD from 1970-01-01',
        'imported_visitors:4: visitors "-3" must be a whole number from 0 to 1000000000000',
        'imported_visitors:5: visitors "many" must be a whole number from 0 to 1000000000000',
        'imported_visitors:6: visitors "1.5" must be a whole number from 0 to 1000000000000',
      ])
      // Nothing of March was written, under any key.
      const march = parseStatsQuery(
        new URLSearchParams('from=2024-03-01&to=2024-03-31&include=metrics'),
        { ...SITE, imports: [{ ...site.imports![0]!, id: 'plausible-20240301-20240304' }] },
        NOW,
      )
      if (!march.ok) throw new Error(march.error.message)
      expect((await runStats(store, march.query)).metrics).toMatchObject({ visitors: 0, pageviews: 0 })
    })

    it("passes every value through the collector's gate: refuses a personal event name before writing, scrubs an OS and a link", async () => {
      const personal = join(dir, 'personal')
      writePlausibleExport(personal, {
        custom_events: `date,name,link_url,path,visitors,events
2024-06-01,Signup,,,1,1
2024-06-01,Call 612 345 678,,,1,1
`,
        visitors: 'date,visitors,pageviews,bounces,visits,visit_duration\n2024-06-01,1,1,0,1,0\n',
      })
      const refused = await runImport(store, SITE, (await openExport(personal)).files, PLAN).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ImportRefused)
      expect((refused as ImportRefused).message.split('\n').slice(1)).toEqual([
        'imported_custom_events_20240101_20240102.csv:3: name "Call 612 345 678": looks like personal data (phone)',
      ])
      const june = parseStatsQuery(
        new URLSearchParams('from=2024-06-01&to=2024-06-30&include=metrics'),
        { ...SITE, imports: [{ ...site.imports![0]!, id: 'plausible-20240601-20240601' }] },
        NOW,
      )
      if (!june.ok) throw new Error(june.error.message)
      expect((await runStats(store, june.query)).metrics).toMatchObject({ visitors: 0, events: 0 })

      const scrubbed = join(dir, 'scrubbed')
      writePlausibleExport(scrubbed, {
        custom_events: 'date,name,link_url,path,visitors,events\n2024-06-01,Outbound Link: Click,http://192.168.1.1/admin,,1,1\n',
        operating_systems: 'date,operating_system,operating_system_version,visitors,visits,visit_duration,bounces,pageviews\n2024-06-01,jane.doe@example.org,1,1,1,0,0,1\n',
        browsers: 'date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews\n2024-06-01,Chrome,5551234567.0,1,1,0,0,1\n',
      })
      const other = { ...SITE, id: 'scrubbed.test' }
      const report = await runImport(store, other, (await openExport(scrubbed)).files, PLAN)
      const withImport = { ...other, imports: [report.import] }
      const query = (params: string) => {
        const parsed = parseStatsQuery(new URLSearchParams(`from=2024-06-01&to=2024-06-01&include=none&${params}`), withImport, NOW)
        if (!parsed.ok) throw new Error(parsed.error.message)
        return runStats(store, parsed.query)
      }
      expect(values((await query('breakdown=os')).breakdowns!.os!.rows, 'visitors')).toEqual({ Unknown: 1 })
      expect(values((await query('breakdown=browser_version&filter=browser:Chrome')).breakdowns!.browser_version!.rows, 'visitors')).toEqual({ '': 1 })
      expect(values((await query('breakdown=prop&filter=name:Outbound Link')).breakdowns!.prop!.rows, 'count')).toEqual({ 'url=[ip]/admin': 1 })
    })

    it('says which columns it does not know, and imports the rest', async () => {
      const extra = join(dir, 'extra')
      writePlausibleExport(extra, { visitors: 'date,visitors,pageviews,bounces,visits,visit_duration,mystery\n2024-05-01,3,4,0,3,0,x\n' })
      const other = { ...SITE, id: 'extra.test' }
      const report = await runImport(store, other, (await openExport(extra)).files, PLAN)
      expect(report.notes).toContain('imported_visitors_20240101_20240102.csv: column(s) mystery have no counterpart, not kept')
      // The other nine tables are not there: each says what the import then does not know (exit_pages: nothing kept).
      expect(report.notes).toHaveLength(9)
      expect(report.notes).toContain("custom_events: not in the export: custom events are not known for the import's days (Plausible's first exports have no such table)")
      const parsed = parseStatsQuery(new URLSearchParams('from=2024-05-01&to=2024-05-01&include=metrics'), { ...other, imports: [report.import] }, NOW)
      if (!parsed.ok) throw new Error(parsed.error.message)
      expect((await runStats(store, parsed.query)).metrics).toMatchObject({ visitors: 3, pageviews: 4 })
    })

    it('removes an import: its key holds nothing afterwards, and the site is as before', async () => {
      const other = { ...SITE, id: 'removed.test' }
      const report = await runImport(store, other, (await openExport(join(dir, 'export'))).files, PLAN)
      const withImport = { ...other, imports: [report.import] }
      expect((await stats(store, withImport, 'include=metrics')).metrics).toMatchObject({ visitors: 15 })
      expect(await store.expireMarginals(importKey(other.id, report.import.id), { hour: Infinity, day: Infinity, month: Infinity })).toBeGreaterThan(0)
      expect((await stats(store, withImport, 'include=metrics')).metrics).toMatchObject({ visitors: 0, pageviews: 0, events: 0 })
    })
  })
}

/**
 * Plausible's exports as each of its shapes wrote them, and an import of the first, as Plausible's
 * own importer test feeds it (test/fixtures/plausible-export.ts): taken, and what a shape has no
 * column or table for is not known, never 0.
 */
for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'import plausible, older exports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-import-first-'))
    const FIRST: Site = { ...SITE, id: 'first.test' }
    let store: Store
    let site: Site
    let notes: string[]
    beforeAll(async () => {
      store = await underTest.open()
      writePlausibleExport(join(dir, 'first'), PLAUSIBLE_FIRST_EXPORT)
      const report = await runImport(store, FIRST, (await openExport(join(dir, 'first'))).files, PLAN)
      site = { ...FIRST, imports: [report.import] }
      notes = report.notes
    })
    afterAll(async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const figures = async (params: string, range = 'from=2021-12-29&to=2022-01-01') => {
      const parsed = parseStatsQuery(new URLSearchParams(`${range}&${params}`), site, NOW)
      if (!parsed.ok) throw new Error(parsed.error.message)
      return runStats(store, parsed.query)
    }

    it('counts its page views as Plausible counts them: from the visitors table, 99', async () => {
      expect(site.imports![0]).toMatchObject({ id: 'plausible-20211229-20220101', lines: 27 })
      expect((await figures('include=metrics')).metrics).toMatchObject({ visitors: 18, visits: 23, pageviews: 99, views_per_visit: 4.3, avg_engagement_seconds: 18.2 })
    })

    it('says, per file, which columns the older export lacks and what it cannot give, and that custom_events is missing', () => {
      expect(notes).toEqual([
        "custom_events: not in the export: custom events are not known for the import's days (Plausible's first exports have no such table)",
        'imported_browsers_20240101_20240102.csv: an older export, without browser_version (browser versions are not in the import), pageviews (page views by browser are not known for its days)',
        'imported_devices_20240101_20240102.csv: an older export, without pageviews (page views by screen class and device are not known for its days)',
        'imported_entry_pages_20240101_20240102.csv: an older export, without pageviews',
        'imported_exit_pages_20240101_20240102.csv: an older export, without visit_duration, bounces, pageviews',
        'imported_locations_20240101_20240102.csv: an older export, without pageviews (page views by country are not known for its days)',
        'imported_operating_systems_20240101_20240102.csv: an older export, without operating_system_version, pageviews (page views by operating system are not known for its days)',
        'imported_pages_20240101_20240102.csv: an older export, without visits, total_scroll_depth (scroll depth is not known for its days), total_scroll_depth_visits, total_time_on_page (engagement by page (time on page) is not known for its days), total_time_on_page_visits',
        'imported_sources_20240101_20240102.csv: an older export, without referrer (referrers are not in the import), utm_source (sources (utm_source) are not in the import), pageviews (page views by referrer, source, medium and campaign are not known for its days)',
      ])
    })

    it('answers a figure made of a count the export lacks as not known, never as 0', async () => {
      const result = await figures('include=metrics&breakdown=browser,os,country,screen,page,entry_page')
      // No custom_events table: the events of these days are not known.
      expect(result.metrics).toMatchObject({ events: null, monthly_visitors: null, avg_scroll: null })
      const b = result.breakdowns!
      // Visitors and visits are in the table; page views are not, nor what is made of them.
      expect(b.browser!.rows).toEqual([
        { value: 'Chrome', visitors: 7, visits: 9, pageviews: null, avg_engagement_seconds: null },
        { value: 'Firefox', visitors: 2, visits: 2, pageviews: null, avg_engagement_seconds: null },
      ])
      expect(b.os!.rows.map((r) => [r.value, r.visitors, r.pageviews])).toEqual([
        ['Android', 4, null],
        ['Mac OS', 3, null],
        ['Unknown', 2, null],
      ])
      expect(b.country!.rows.map((r) => [r.value, r.visitors, r.visits, r.pageviews])).toEqual([
        ['ES', 4, 5, null],
        ['FR', 4, 5, null],
      ])
      expect(b.screen!.rows.map((r) => [r.value, r.visitors, r.pageviews])).toEqual([
        ['mobile', 6, null],
        ['desktop', 3, null],
      ])
      // Pages have page views, but no time on page.
      expect(b.page!.rows).toEqual([
        { value: '/', visitors: 8, visits: 11, pageviews: 45, avg_engagement_seconds: null },
        { value: '/about', visitors: 4, visits: 0, pageviews: 24, avg_engagement_seconds: null },
      ])
      expect(b.entry_page!.rows.map((r) => [r.value, r.visits])).toEqual([['/', 11]])
    })

    it('answers views per visit under a browser filter as not known, not as 0', async () => {
      const result = await figures('include=metrics,timeseries&filter=browser:Chrome')
      expect(result.metrics).toMatchObject({ visitors: 7, visits: 9, pageviews: null, views_per_visit: null, avg_engagement_seconds: null })
      expect(result.timeseries!.map((b) => [b.bucket, b.visits, b.pageviews])).toEqual([
        ['2021-12-29', 0, null],
        ['2021-12-30', 4, null],
        ['2021-12-31', 5, null],
        ['2022-01-01', 0, null],
      ])
    })

    it('says which breakdowns the import lacks: referrers, sources and browser versions', async () => {
      const result = await figures('include=none&breakdown=referrer,medium')
      expect(result.imported).toEqual([{ source: 'plausible', from: '2021-12-29', to: '2022-01-01', lacks: ['referrer', 'source', 'browser_version', 'language', 'consent'] }])
      expect(result.breakdowns!.referrer!.rows).toEqual([])
      expect(result.breakdowns!.medium!.rows.map((r) => [r.value, r.visitors, r.pageviews])).toEqual([
        ['email', 4, null],
        ['', 3, null],
        ['organic', 2, null],
      ])
    })

    it('answers a range that does not meet the import with figures, unknown nothing', async () => {
      const later = await figures('include=metrics&filter=browser:Chrome', 'from=2022-02-01&to=2022-02-28')
      expect(later.metrics).toMatchObject({ pageviews: 0, views_per_visit: 0, events: 0, monthly_visitors: 0 })
    })
  })
}

describe('import plausible: every shape its exporter has written', () => {
  /** A value for a column, of the kind Plausible writes in it. */
  const cellOf = (column: string) =>
    (
      ({
        date: '2024-01-01',
        hostname: 'example.org',
        page: '/',
        entry_page: '/',
        exit_page: '/',
        country: 'ES',
        device: 'Desktop',
        browser: 'Chrome',
        browser_version: '120.0',
        operating_system: 'Mac',
        name: 'Signup',
        source: 'Google',
      }) as Record<string, string>
    )[column] ?? (/^(referrer|utm_|region|city|operating_system_version|link_url|path)/.test(column) ? '' : '1')
  const PEOPLE = ['events', 'scroll', 'visitors_month']
  const WITHOUT_VIEWS = ['events', 'scroll', 'views', 'visitors_month']
  const dims = (list: string[], counters: string[]) => Object.fromEntries(list.map((d) => [d, counters]))
  const expected: Record<string, { lacks?: string[]; unknown: Record<string, string[]> }> = {
    first: {
      lacks: ['browser_version', 'referrer', 'source'],
      unknown: {
        ...dims(['browser', 'campaign', 'country', 'device', 'medium', 'os', 'screen'], WITHOUT_VIEWS),
        name: ['events'],
        path: ['events', 'scroll', 'seconds', 'visitors_month'],
        total: ['events', 'scroll', 'visitors_month'],
      },
    },
    pageviews: {
      unknown: {
        ...dims(['browser', 'browser_version', 'campaign', 'country', 'device', 'medium', 'os', 'referrer', 'screen', 'source'], PEOPLE),
        name: ['events'],
        path: ['events', 'scroll', 'seconds', 'visitors_month'],
        total: ['events', 'scroll', 'visitors_month'],
      },
    },
    current: {
      unknown: {
        ...dims(['browser', 'browser_version', 'campaign', 'country', 'device', 'medium', 'os', 'referrer', 'screen', 'source'], PEOPLE),
        path: ['visitors_month'],
        total: ['visitors_month'],
      },
    },
  }
  expected['plain pages'] = expected.pageviews!

  it.each(Object.keys(PLAUSIBLE_SHAPES))('takes the %s shape, and records what it does not know', async (shape) => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-shape-'))
    const store = await storesUnderTest()[0]!.open()
    try {
      const tables = Object.fromEntries(Object.entries(PLAUSIBLE_SHAPES[shape]!).map(([table, header]) => [table, `${header}\n${header.split(',').map(cellOf).join(',')}\n`]))
      writePlausibleExport(dir, tables)
      const report = await runImport(store, SITE, (await openExport(dir)).files, PLAN)
      expect(report.import.lines).toBe(Object.keys(tables).length)
      expect({ lacks: report.import.lacks, unknown: report.import.unknown }).toEqual({ lacks: expected[shape]!.lacks, unknown: expected[shape]!.unknown })
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// The import undoes the export's defusing of formula cells only in QuietCount's own export, which
// its zip comment marks (export-plausible.test.ts has the round trip): any other file is kept as written.
describe('import plausible: cells defused by QuietCount, and only those', () => {
  const zipOf = async (file: string, tables: Record<string, string>, comment?: string) => {
    const yazl = (await import('yazl')).default
    const zip = new yazl.ZipFile()
    for (const [table, csv] of Object.entries(tables)) zip.addBuffer(Buffer.from(csv), `imported_${table}_20240101_20240102.csv`)
    zip.end(comment ? { forceZip64Format: false, comment } : undefined)
    const chunks: Buffer[] = []
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
    writeFileSync(file, Buffer.concat(chunks))
    return file
  }
  // A campaign source keeps its text through the gate (a browser or system name would be Unknown).
  const sources = `date,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,pageviews,visitors,visits,visit_duration,bounces\n2024-01-01,x,,"'=kept",,,,,1,1,1,0,0\n`

  it("keeps a formula-like cell of another tool's zip as it is written", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-defused-'))
    const store = await storesUnderTest()[0]!.open()
    try {
      const source = await openExport(await zipOf(join(dir, 'plausible.zip'), { ...PLAUSIBLE_EXPORT, sources }))
      const report = await runImport(store, SITE, source.files, PLAN)
      source.close()
      const result = await stats(store, { ...SITE, imports: [report.import] }, 'include=none&breakdown=source')
      expect(result.breakdowns!.source!.rows.map((r) => r.value)).toContain("'=kept")
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses a zip whose comment begins as QuietCount's mark but says something else", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-defused-'))
    try {
      const zip = await zipOf(join(dir, 'forged.zip'), PLAUSIBLE_EXPORT, 'quietcount-export 1 {"unknown":{"nowhere":["views"]}}')
      await expect(openExport(zip)).rejects.toThrow(
        `${zip}: its comment begins as QuietCount's export marks one, but the rest is not {"lacks":[dimensions],"unknown":{dimension:[counters]}}: "quietcount-export 1 {\\"unknown\\":{\\"nowhere\\":[\\"views\\"]}}"`,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// The file of a busy site: 50 MB of page lines, streamed through both passes by the CLI in a
// Node whose heap is capped below the file's size, so that holding it would fail. SQLite only: what
// is measured is the reading, the same for every store.
describe('import plausible: a 50 MB file', () => {
  it('streams it in a heap smaller than the file, and counts every line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-import-big-'))
    const file = join(dir, 'imported_pages_20240101_20240130.csv')
    const out = openSync(file, 'w')
    writeSync(out, 'date,hostname,page,visits,visitors,pageviews,total_scroll_depth,total_scroll_depth_visits,total_time_on_page,total_time_on_page_visits\n')
    let lines = 0
    while (statSync(file).size < 50 * 2 ** 20) {
      let chunk = ''
      for (let i = 0; i < 10_000; i++, lines++) {
        const day = String((lines % 30) + 1).padStart(2, '0')
        chunk += `2024-01-${day},example.org,/section-${lines % 2000}/a-long-article-title-as-sites-write-them-for-search-engines,1,1,2,,,,\n`
      }
      writeSync(out, chunk)
    }
    closeSync(out)
    const env = { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'big.db')}`, QUIETCOUNT_CONFIG: join(dir, 'quietcount.json') }
    const rss = join(dir, 'max-rss')
    const cli = (heap: number, ...args: string[]) =>
      spawnSync(process.execPath, [`--max-old-space-size=${heap}`, ...peakMemoryFlags(rss), join(process.cwd(), 'dist/node/cli/main.js'), ...args], {
        env,
        encoding: 'utf8',
        cwd: dir,
      })
    expect(cli(64, 'sites', 'add', 'big.test', '--timezone', 'UTC').status).toBe(0)
    const started = Date.now()
    const imported = cli(32, 'import', 'plausible', '--site', 'big.test', dir)
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toContain(`${lines.toLocaleString('en')} lines`)
    const seconds = (Date.now() - started) / 1000
    const peak = peakMiB(rss)
    console.log(
      `[import] ${lines.toLocaleString('en')} lines (${(statSync(file).size / 2 ** 20).toFixed(0)} MB) in a 32 MB heap: ${seconds.toFixed(1)} s, ${Math.round(lines / seconds).toLocaleString('en')} lines/s, peak RSS ${peak.toFixed(0)} MiB`,
    )
    expect(peak).toBeLessThan(256)
    const report = JSON.parse(
      cli(64, 'report', '--site', 'big.test', '--from', '2024-01-01', '--to', '2024-01-30', '--include', 'none', '--breakdown', 'page', '--limit', '1', '--format', 'json').stdout,
    ) as {
      breakdowns: { page: { rows: { pageviews: number }[] } }
    }
    expect(report.breakdowns.page.rows[0]!.pageviews).toBe(2 * Math.ceil(lines / 2000))
    rmSync(dir, { recursive: true, force: true })
    // Only a guard against a hang: it timed out at 180 s in a full run on a busy 2-core machine.
    // How fast an import goes is a figure of the bench (npm run bench -- --only import).
  }, 600_000)
})
