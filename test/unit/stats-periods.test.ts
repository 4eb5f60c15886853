import { describe, expect, it } from 'vitest'
import { dayNumber, monthNumber } from '../../src/collector/sites/time-zone.js'
import { marginalParts } from '../../src/collector/stats/periods.js'

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
