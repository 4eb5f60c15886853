import { describe, expect, it } from 'vitest'
import { formatReport } from '../../src/cli/report-format.js'

describe('report output as a table', () => {
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
