import type { EventRecord, PageRecord } from '../shared/protocol.js'

export interface Batch {
  /** Adds a record, or sums its counts into the held record of the same identity. */
  page(record: PageRecord): void
  event(record: EventRecord): void
  /**
   * Records added since the last take, merged or not: each adds at most one page view or event,
   * so a beacon of this many counts at most this many (LIMITS.counted).
   */
  size(): number
  /** Takes every record out, leaving the batch empty. */
  take(): { pages: PageRecord[]; events: EventRecord[] }
}

/** The records waiting for the next beacon, merged so that a beacon is an aggregate. */
export function createBatch(): Batch {
  let pages = new Map<string, PageRecord>()
  let events = new Map<string, EventRecord>()
  let added = 0
  // A record's identity is everything but its counts.
  const add = <T>(map: Map<string, T>, record: T, counts: (keyof T)[]) => {
    added++
    const key = JSON.stringify({ ...record, ...Object.fromEntries(counts.map((k) => [k])) })
    const held = map.get(key) as Record<keyof T, number> | undefined
    if (!held) map.set(key, { ...record })
    else for (const k of counts) held[k] += record[k] as number
  }
  return {
    page: (record) => add(pages, record, ['views', 'seconds', 'scroll']),
    event: (record) => add(events, record, ['count']),
    size: () => added,
    take() {
      const taken = { pages: [...pages.values()], events: [...events.values()] }
      pages = new Map()
      events = new Map()
      added = 0
      return taken
    },
  }
}
