import { describe, expect, it } from 'vitest'
import { realtimeCounter } from '../../src/collector/ingest/realtime.js'

describe('realtime counter', () => {
  it('sums the last five minutes per site and forgets older ones', () => {
    const counter = realtimeCounter()
    const t = Date.UTC(2026, 10, 24, 12, 0, 30)
    counter.add('a.test', 3, 1, t)
    counter.add('a.test', 2, 2, t + 4 * 60_000)
    counter.add('b.test', 7, 7, t)
    expect(counter.recent('a.test', t + 4 * 60_000)).toEqual({ pageviews: 5, visits: 3, minutes: 5 })
    expect(counter.recent('a.test', t + 5 * 60_000)).toEqual({ pageviews: 2, visits: 2, minutes: 5 })
    expect(counter.recent('b.test', t + 10 * 60_000)).toEqual({ pageviews: 0, visits: 0, minutes: 5 })
    expect(counter.recent('nobody.test', t)).toEqual({ pageviews: 0, visits: 0, minutes: 5 })
  })
})
