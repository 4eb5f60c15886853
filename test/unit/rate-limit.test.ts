import { describe, expect, it } from 'vitest'

describe('rate limit', () => {
  it('lets a burst through, refuses more, refills with time, and keeps addresses apart', async () => {
    const { rateLimiter } = await import('../../src/collector/http/rate-limit.js')
    const allow = rateLimiter({ perSecond: 2, burst: 3 })
    expect([1, 2, 3, 4].map(() => allow('198.51.100.1', 0))).toEqual([true, true, true, false])
    expect(allow('198.51.100.2', 0)).toBe(true)
    expect(allow('198.51.100.1', 500)).toBe(true)
    expect(allow('198.51.100.1', 500)).toBe(false)
    expect(allow(undefined, 0)).toBe(true)
  })
})
