import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_SITES, seedDemo } from '../../src/cli/demo-data.js'
import { countedDays, exportPlausible } from '../../src/collector/exports/plausible-export.js'
import { openExport } from '../../src/collector/imports/export-files.js'
import { plausibleTable } from '../../src/collector/imports/plausible.js'
import { runImport } from '../../src/collector/imports/run-import.js'
import type { Site } from '../../src/collector/sites.js'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'
import { runStats } from '../../src/collector/stats/run.js'
import type { Store } from '../../src/collector/stores/store.js'
import { storesUnderTest } from './stores.js'

// The round trip: a site's counts exported in Plausible's format and imported into a fresh store
// give the same figures for every metric and breakdown the format carries (docs/import.md lists
// the ones it cannot: UTM fields, devices by user agent, languages, event pages and properties
// other than a link's url, consent decisions, monthly visitors).

const NOW = Date.UTC(2026, 2, 15, 12)
const DEMO = DEMO_SITES[0]!
const SITE: Site = { id: DEMO.id, origins: [], timezone: DEMO.timezone, shares: [] }
const CARRIED = ['page', 'entry_page', 'referrer', 'country', 'browser', 'os', 'screen', 'event'] as const

async function figures(store: Store, site: Site, range: { from: string; to: string }, params: string) {
  const parsed = parseStatsQuery(new URLSearchParams(`from=${range.from}&to=${range.to}&limit=1000&${params}`), site, NOW)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return runStats(store, parsed.query)
}

for (const underTest of storesUnderTest()) {
  const suite = underTest.missing ? describe.skip : describe
  suite(`export plausible, then import: ${underTest.name}${underTest.missing ? ` (skipped: ${underTest.missing})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'quietcount-export-'))
    let original: Store
    let copy: Store
    let imported: Site
    let range: { from: string; to: string }
    let lines: Record<string, number>
    beforeAll(async () => {
      original = await underTest.open()
      copy = await underTest.open()
      await seedDemo(original, { seed: 7, days: 45, now: NOW })
      range = (await countedDays(original, SITE))!
      lines = await exportPlausible(original, SITE, range, join(dir, 'export.zip'))
      const source = await openExport(join(dir, 'export.zip'))
      const report = await runImport(copy, SITE, source.files, { source: 'plausible', tableOf: plausibleTable })
      source.close()
      imported = { ...SITE, imports: [report.import] }
    }, 120_000)
    afterAll(async () => {
      await original.close()
      await copy.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('writes every table of the format, with lines for the seeded days', () => {
      expect(range.to).toBe('2026-03-15')
      for (const table of ['visitors', 'sources', 'pages', 'entry_pages', 'custom_events', 'locations', 'devices', 'browsers', 'operating_systems'])
        expect(lines[table]).toBeGreaterThan(0)
      expect(lines.exit_pages).toBe(0)
    })

    it('gives the same top line', async () => {
      const before = (await figures(original, SITE, range, 'include=metrics')).metrics!
      const after = (await figures(copy, imported, range, 'include=metrics')).metrics!
      const { monthly_visitors: _lost, ...carried } = before
      expect(before.pageviews).toBeGreaterThan(1000)
      expect(after).toMatchObject(carried)
    })

    it('gives the same breakdowns for everything the format carries', async () => {
      const ask = `include=none&breakdown=${CARRIED.join(',')}`
      const before = (await figures(original, SITE, range, ask)).breakdowns!
      const after = (await figures(copy, imported, range, ask)).breakdowns!
      for (const name of CARRIED) {
        // Plausible has no row for an unknown country; every other row comes back as it was.
        const kept = before[name]!.rows.filter((r) => name !== 'country' || r.value !== '')
        expect(kept.length, name).toBeGreaterThan(0)
        expect(after[name]!.rows, name).toEqual(kept)
      }
    })

    it('gives the same browser versions under each browser', async () => {
      const browsers = (await figures(original, SITE, range, 'include=none&breakdown=browser')).breakdowns!.browser!.rows
      for (const { value } of browsers.slice(0, 3)) {
        const ask = `include=none&breakdown=browser_version&filter=browser:${encodeURIComponent(value)}`
        expect((await figures(copy, imported, range, ask)).breakdowns).toEqual((await figures(original, SITE, range, ask)).breakdowns)
      }
    })
  })
}
