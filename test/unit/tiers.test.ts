import { describe, expect, it } from 'vitest'
import { consentRows, tierRows } from '../../src/collector/ingest/tiers.js'
import type { Row } from '../../src/collector/schema.js'
import { calendar, dayNumber, monthNumber } from '../../src/collector/sites/time-zone.js'

const HOUR = 3_600_000

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
