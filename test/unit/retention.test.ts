import { describe, expect, it } from 'vitest'
import { detailStart, expireMarginals, marginalStart } from '../../src/collector/retention.js'
import { importKey } from '../../src/collector/sites/sites.js'
import { calendar, dayNumber, monthNumber, startHour } from '../../src/collector/sites/time-zone.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import { referenceStore } from '../collector/reference-store.js'
import { marginalEdgeRows } from '../fixtures/marginal-edge-rows.js'

const HOUR = 3_600_000

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
