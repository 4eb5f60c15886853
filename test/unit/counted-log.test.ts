import { describe, expect, it, vi } from 'vitest'
import { countedLog } from '../../src/collector/http/counted-log.js'

describe('counted log', () => {
  it('logs the first at once, then how many more at most once per period, and nothing once they stop', () => {
    vi.useFakeTimers()
    try {
      const lines: string[] = []
      const log = countedLog(
        60_000,
        'first',
        (n) => `${n} more`,
        (line) => lines.push(line),
      )
      for (let i = 0; i < 50; i++) log.add()
      expect(lines).toEqual(['first'])
      vi.advanceTimersByTime(60_000)
      expect(lines).toEqual(['first', '49 more'])
      log.add()
      vi.advanceTimersByTime(59_999)
      expect(lines).toEqual(['first', '49 more'])
      vi.advanceTimersByTime(1)
      expect(lines).toEqual(['first', '49 more', '1 more'])
      // A quiet period ends the waiting: the next one is said at once again.
      vi.advanceTimersByTime(60_000)
      log.add()
      expect(lines).toEqual(['first', '49 more', '1 more', 'first'])
      expect(log.total()).toBe(52)
      log.stop()
    } finally {
      vi.useRealTimers()
    }
  })
})
