import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEMO_SITES, seedDemo } from '../../src/cli/demo-data.js'
import { countedDays, exportPlausible } from '../../src/collector/formats/plausible/export.js'
import { PLAUSIBLE_PLAN } from '../../src/collector/formats/plausible/import.js'
import { csvLines, openExport } from '../../src/collector/imports/export-files.js'
import { runImport } from '../../src/collector/imports/run-import.js'
import { beaconRows } from '../../src/collector/ingest/ingest.js'
import type { Site } from '../../src/collector/sites/sites.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { PLAUSIBLE_EXPORT, PLAUSIBLE_FIRST_EXPORT, writePlausibleExport } from '../fixtures/plausible-export.js'
import { describeStore, storesUnderTest } from './stores.js'

// The round trip: a site's counts exported in Plausible's format and imported into a fresh store
// give the same figures for every metric and breakdown the format carries (docs/import.md lists
// the ones it cannot: UTM fields, devices by user agent, languages, event pages and properties
// other than a link's url, consent decisions, monthly visitors), and the same values, among them
// names a spreadsheet would run as formulas, which a store written before the gate may hold: the
// export defuses them, and its import undoes that and passes them through the gate.

const NOW = Date.UTC(2026, 2, 15, 12)
const DEMO = DEMO_SITES[0]!
const SITE: Site = { id: DEMO.id, origins: [], timezone: DEMO.timezone, shares: [] }
const CARRIED = ['page', 'entry_page', 'referrer', 'country', 'browser', 'os', 'screen', 'event'] as const

/**
 * Names a spreadsheet would run. No door stores them any more (the gate names such a browser or
 * system `Unknown`), but a store written before the gate may hold them: they are written here
 * straight into a store, as such a store holds them.
 */
const FORMULAS = {
  browsers: ['=HYPERLINK("https://evil.test","click")', "-2+3+cmd|' /C calc'!A0", '@SUM(1+1)'],
  systems: ["+1+cmd|' /C calc'!A0", "'=already quoted"],
}
/** PLAUSIBLE_EXPORT on two of the seeded days, every count present. */
const plainExport = () =>
  Object.fromEntries(
    Object.entries(PLAUSIBLE_EXPORT).map(([table, csv]) => [
      table,
      csv
        .replaceAll('2024-01-01', '2026-03-01')
        .replaceAll('2024-01-02', '2026-03-02')
        .replaceAll(table === 'pages' ? ',,,,' : '\u0000', ',1,1,1,1'),
    ]),
  )

/** A page view by each formula-named browser and system on 2026-03-01, as rows of both tiers. */
const formulaRows = () =>
  FORMULAS.browsers.flatMap((browser, i) =>
    beaconRows(
      { v: 1, site: SITE.id, pages: [{ path: '/', flags: 7, views: 1, seconds: 5, scroll: 10 }] },
      { browser, browser_version: '120', os: FORMULAS.systems[i % FORMULAS.systems.length]!, device: 'desktop' },
      Date.UTC(2026, 2, 1, 12) / 3_600_000,
      { timezone: SITE.timezone, detailDays: 0 },
    ),
  )

async function figures(store: Store, site: Site, range: { from: string; to: string }, params: string) {
  const parsed = parseStatsQuery(new URLSearchParams(`from=${range.from}&to=${range.to}&limit=1000&${params}`), site, NOW)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return runStats(store, parsed.query)
}

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'export plausible, then import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-export-'))
    let original: Store
    let copy: Store
    let site: Site
    let imported: Site
    let range: { from: string; to: string }
    let lines: Record<string, number>
    let older: Store
    beforeAll(async () => {
      original = await underTest.open()
      copy = await underTest.open()
      older = await underTest.open()
      await seedDemo(original, { seed: 7, days: 45, now: NOW })
      await older.write(formulaRows())
      await exportPlausible(older, SITE, { from: '2026-03-01', to: '2026-03-01' }, join(dir, 'older.zip'))
      writePlausibleExport(join(dir, 'formulas'), plainExport())
      const formulas = await runImport(original, SITE, (await openExport(join(dir, 'formulas'))).files, PLAUSIBLE_PLAN)
      site = { ...SITE, imports: [formulas.import] }
      range = (await countedDays(original, site))!
      lines = await exportPlausible(original, site, range, join(dir, 'export.zip'))
      const source = await openExport(join(dir, 'export.zip'))
      const report = await runImport(copy, SITE, source.files, PLAUSIBLE_PLAN)
      source.close()
      imported = { ...SITE, imports: [report.import] }
    }, 120_000)
    afterAll(async () => {
      await original.close()
      await copy.close()
      await older.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('writes every table of the format, with lines for the seeded days', () => {
      expect(range.to).toBe('2026-03-15')
      for (const table of ['visitors', 'sources', 'pages', 'entry_pages', 'custom_events', 'locations', 'devices', 'browsers', 'operating_systems'])
        expect(lines[table]).toBeGreaterThan(0)
      expect(lines.exit_pages).toBe(0)
    })

    it('writes names a spreadsheet would run as formulas defused, with one more leading apostrophe', async () => {
      const source = await openExport(join(dir, 'older.zip'))
      const cells = async (table: string, column: number) => {
        const file = source.files.find((f) => f.name.startsWith(`imported_${table}_`))!
        const found: string[] = []
        // Read raw, as a spreadsheet would: without the import's undoing.
        for await (const { line, fields } of csvLines(await file.open())) if (line > 1) found.push(fields[column]!)
        return found
      }
      expect(await cells('browsers', 1)).toEqual(expect.arrayContaining(FORMULAS.browsers.map((b) => `'${b}`)))
      expect(await cells('operating_systems', 1)).toEqual(expect.arrayContaining(FORMULAS.systems.map((o) => `'${o}`)))
      for (const table of ['browsers', 'operating_systems', 'sources', 'pages', 'custom_events'])
        for (const column of [1, 2]) for (const text of await cells(table, column)) expect(text, `${table} ${text}`).not.toMatch(/^[=+\-@\t\r]/)
      source.close()
    })

    it('brings formula names back undone and through the gate: Unknown, as the collector would name them, with their counts', async () => {
      const fresh = await underTest.open()
      try {
        const source = await openExport(join(dir, 'older.zip'))
        const report = await runImport(fresh, SITE, source.files, PLAUSIBLE_PLAN)
        source.close()
        const day = { from: '2026-03-01', to: '2026-03-01' }
        const ask = 'include=none&breakdown=browser,os'
        const after = (await figures(fresh, { ...SITE, imports: [report.import] }, day, ask)).breakdowns!
        expect(after.browser!.rows.map((r) => [r.value, r.pageviews])).toEqual([['Unknown', FORMULAS.browsers.length]])
        expect(after.os!.rows.map((r) => [r.value, r.pageviews])).toEqual([['Unknown', FORMULAS.browsers.length]])
      } finally {
        await fresh.close()
      }
    })

    it('gives the same top line', async () => {
      const before = (await figures(original, site, range, 'include=metrics')).metrics!
      const after = (await figures(copy, imported, range, 'include=metrics')).metrics!
      expect(before.pageviews).toBeGreaterThan(1000)
      // Neither has monthly visitors for a range that meets a Plausible import, which has none.
      expect(before.monthly_visitors).toBeNull()
      expect(after).toEqual(before)
    })

    it('gives the same breakdowns for everything the format carries', async () => {
      const ask = `include=none&breakdown=${CARRIED.join(',')}`
      const before = (await figures(original, site, range, ask)).breakdowns!
      const after = (await figures(copy, imported, range, ask)).breakdowns!
      for (const name of CARRIED) {
        // Plausible has no row for an unknown country; every other row comes back as it was.
        const kept = before[name]!.rows.filter((r) => name !== 'country' || r.value !== '')
        expect(kept.length, name).toBeGreaterThan(0)
        expect(after[name]!.rows, name).toEqual(kept)
      }
    })

    it('gives the same browser versions under each browser', async () => {
      const browsers = (await figures(original, site, range, 'include=none&breakdown=browser')).breakdowns!.browser!.rows
      for (const { value } of browsers.slice(0, 3)) {
        const ask = `include=none&breakdown=browser_version&filter=browser:${encodeURIComponent(value)}`
        expect((await figures(copy, imported, range, ask)).breakdowns).toEqual((await figures(original, site, range, ask)).breakdowns)
      }
    })
  })
}

// A site whose history came from one of Plausible's first exports: what that import did not know
// (page views by browser, custom events) is written as empty cells and in the export's mark, and
// importing the export back knows no more: not known stays not known, never 0.
for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'export plausible of an older import, then import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-export-first-'))
    const OLD: Site = { id: 'old.test', origins: [], timezone: 'UTC', shares: [] }
    const range = { from: '2021-12-29', to: '2022-01-01' }
    let original: Store
    let copy: Store
    let site: Site
    let imported: Site
    beforeAll(async () => {
      original = await underTest.open()
      copy = await underTest.open()
      writePlausibleExport(join(dir, 'first'), PLAUSIBLE_FIRST_EXPORT)
      site = { ...OLD, imports: [(await runImport(original, OLD, (await openExport(join(dir, 'first'))).files, PLAUSIBLE_PLAN)).import] }
      await exportPlausible(original, site, range, join(dir, 'export.zip'))
      const source = await openExport(join(dir, 'export.zip'))
      imported = { ...OLD, imports: [(await runImport(copy, OLD, source.files, PLAUSIBLE_PLAN)).import] }
      source.close()
    })
    afterAll(async () => {
      await original.close()
      await copy.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('gives the same figures, the unknown ones unknown', async () => {
      const ask = `include=metrics,timeseries&breakdown=${CARRIED.join(',')},browser_version`
      const before = await figures(original, site, range, ask)
      const after = await figures(copy, imported, range, ask)
      expect(before.metrics).toMatchObject({ pageviews: 99, events: null })
      expect(before.breakdowns!.browser!.rows[0]).toMatchObject({ value: 'Chrome', visitors: 7, pageviews: null })
      expect(after.metrics).toEqual(before.metrics)
      expect(after.timeseries).toEqual(before.timeseries)
      expect(after.breakdowns).toEqual(before.breakdowns)
      expect(after.imported![0]!.lacks).toEqual(before.imported![0]!.lacks)
    })

    it('gives the same figures under a filter of a dimension whose page views are not known', async () => {
      const ask = 'include=metrics&filter=browser:Chrome'
      expect((await figures(copy, imported, range, ask)).metrics).toEqual((await figures(original, site, range, ask)).metrics)
    })
  })
}
