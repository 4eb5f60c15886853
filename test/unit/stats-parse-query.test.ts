import { describe, expect, it } from 'vitest'
import { parseStatsQuery } from '../../src/collector/stats/parse-query.js'

describe('stats parameters', () => {
  const site = { id: 's.test', origins: [], timezone: 'UTC', shares: [] }
  const parse = (params: string) => parseStatsQuery(new URLSearchParams(params), site, Date.UTC(2026, 11, 2))
  it('reads what a request asks for, and nothing more', () => {
    expect(parse('breakdown=page,referrer&breakdown=prop&include=none')).toMatchObject({
      ok: true,
      query: { breakdowns: ['page', 'referrer', 'prop'], metrics: false, timeseries: false, detailDays: 62 },
    })
    expect(parse('include=metrics')).toMatchObject({ ok: true, query: { breakdowns: [], metrics: true, timeseries: false } })
    expect(parse('')).toMatchObject({ ok: true, query: { metrics: true, timeseries: true, compare: false } })
  })
  it.each([
    ['breakdown=page,nope', 'breakdown: must be one or more of page, entry_page'],
    ['breakdown=page&breakdown=page', 'breakdown: names page twice'],
    ['include=metrics,chart', 'include: must be a comma-separated list of metrics, timeseries, or none (got "metrics,chart")'],
    ['filter=prop:plan=pro', 'filter: must be dimension:value with a dimension among path, referrer'],
  ])('%s is refused: %s', (params, message) => {
    const parsed = parse(params)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.error.message).toContain(message)
  })
})
