import fc from 'fast-check'
import { expect, it } from 'vitest'
import { parseBeacon } from '../../src/shared/parse-beacon.js'
import { FLAG, LIMITS } from '../../src/shared/protocol.js'
import { bodies, FUZZ_RUNS } from './beacon-bodies.js'

// parseBeacon is the collector's edge: whatever a client sends, it answers ok or a precise
// error, never throws, and what it accepts is within every cap and already in its final form.

it(
  `answers every body without throwing, and accepts only beacons within the caps (${FUZZ_RUNS.toLocaleString('en')} cases)`,
  () => {
    let accepted = 0
    fc.assert(
      fc.property(bodies, (body) => {
        const parsed = parseBeacon(body)
        if (!parsed.ok) {
          expect(typeof parsed.error.field).toBe('string')
          expect(parsed.error.message.length).toBeLessThan(500)
          expect(parsed.error.message.startsWith(parsed.error.field ? `${parsed.error.field}: ` : ': ')).toBe(true)
          return
        }
        accepted++
        const { pages = [], events = [], consents = [] } = parsed.beacon
        expect(pages.length + events.length + consents.length).toBeLessThanOrEqual(LIMITS.records)
        expect(pages.reduce((n, p) => n + p.views, 0) + events.reduce((n, e) => n + e.count, 0)).toBeLessThanOrEqual(LIMITS.counted)
        for (const bit of Object.values(FLAG)) expect(pages.reduce((n, p) => n + (p.flags & bit ? p.views : 0), 0)).toBeLessThanOrEqual(LIMITS.flagged)
        expect(consents.reduce((n, c) => n + c.count, 0)).toBeLessThanOrEqual(LIMITS.decisions)
        // What it accepts is final: parsing it again changes nothing.
        expect(parseBeacon(JSON.stringify(parsed.beacon))).toEqual(parsed)
      }),
      { numRuns: FUZZ_RUNS },
    )
    // Both sides of the line were reached.
    expect(accepted).toBeGreaterThan(FUZZ_RUNS / 20)
    expect(accepted).toBeLessThan(FUZZ_RUNS)
  },
  60_000 + FUZZ_RUNS,
)
