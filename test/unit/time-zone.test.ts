import { describe, expect, it } from 'vitest'
import { addDays, localTime, startHour } from '../../src/collector/sites/time-zone.js'
import { periodRange } from '../../src/collector/stats/periods.js'

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
