import { describe, expect, it } from 'vitest'
import { parseBeacon } from '../../src/shared/parse-beacon.js'

const body = (consents: unknown) => JSON.stringify({ v: 1, site: 'example.test', consents })
const ok = { decision: 'custom', categories: { analytics: true, marketing: false }, count: 1 }

describe('consent records', () => {
  it('are accepted on their own, as counts of decision kinds', () => {
    expect(parseBeacon(body([ok]))).toEqual({ ok: true, beacon: { v: 1, site: 'example.test', consents: [ok] } })
  })

  it.each([
    ['unknown decision', [{ ...ok, decision: 'maybe' }], 'consents[0].decision', 'must be one of accept-all, reject-all, custom'],
    ['categories not an object', [{ ...ok, categories: ['analytics'] }], 'consents[0].categories', 'must be an object'],
    ['a non-boolean choice', [{ ...ok, categories: { analytics: 'yes' } }], 'consents[0].categories.analytics', 'must be true or false'],
    ['"necessary" listed', [{ ...ok, categories: { necessary: true } }], 'consents[0].categories.necessary', 'not be "necessary"'],
    ['a bad category name', [{ ...ok, categories: { 'Ad Tracking': true } }], 'consents[0].categories.Ad Tracking', 'key must match'],
    ['too many categories', [{ ...ok, categories: Object.fromEntries('abcdefghi'.split('').map((c) => [c, true])) }], 'consents[0].categories', 'at most 8 keys'],
    ['an identifier smuggled in', [{ ...ok, visitor: 'a8f3k29d' }], 'consents[0].visitor', 'is not a field'],
    ['a zero count', [{ ...ok, count: 0 }], 'consents[0].count', 'whole number from 1 to 1'],
    ['a count of 2 (one decision a beacon)', [{ ...ok, count: 2 }], 'consents[0].count', 'whole number from 1 to 1'],
    ['consents not an array', ok, 'consents', 'must be an array'],
  ])('refuses %s', (_, consents, field, rule) => {
    const parsed = parseBeacon(body(consents))
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.error.field).toBe(field)
      expect(parsed.error.rule).toContain(rule)
    }
  })
})
