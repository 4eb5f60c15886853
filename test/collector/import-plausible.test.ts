import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openExport } from '../../src/collector/imports/export-files.js'
import { plausibleTable } from '../../src/collector/imports/plausible.js'
import { ImportRefused, runImport } from '../../src/collector/imports/run-import.js'
import { importKey, type Site } from '../../src/collector/sites.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { PLAUSIBLE_EXPORT, writePlausibleExport } from '../fixtures/plausible-export.js'
import { peakMemoryFlags, peakMiB } from './peak-memory.js'
import { storesUnderTest } from './stores.js'

const PLAN = { source: 'plausible', tableOf: plausibleTable } as const
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
  const suite = underTest.missing ? describe.skip : describe
  suite(`import plausible: ${underTest.name}${underTest.missing ? ` (skipped: ${underTest.missing})` : ''}`, () => {
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
      })
      const files = (await openExport(bad)).files
      const refused = await runImport(store, SITE, files, PLAN).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ImportRefused)
      const lines = (refused as ImportRefused).refusals.map((r) => `${r.file.replace(/_2024.*/, '')}:${r.line}: ${r.rule}`)
      expect(lines).toEqual([
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

    it('says which columns it does not know, and imports the rest', async () => {
      const extra = join(dir, 'extra')
      writePlausibleExport(extra, { visitors: 'date,visitors,pageviews,bounces,visits,visit_duration,mystery\n2024-05-01,3,4,0,3,0,x\n' })
      const other = { ...SITE, id: 'extra.test' }
      const report = await runImport(store, other, (await openExport(extra)).files, PLAN)
      expect(report.notes).toEqual(['imported_visitors_20240101_20240102.csv: column(s) mystery have no counterpart, not kept'])
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
  }, 180_000)
})
