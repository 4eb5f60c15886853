import { type EventRecord, LANGUAGE, LIMITS, type PageRecord, PROTOCOL_VERSION, screenClass, TIME_ZONE } from '../shared/protocol.js'
import { createBatch } from './batch.js'
import { type Collector, send } from './transport.js'

/**
 * The records waiting for the next beacon (merged, batch.ts) and when it leaves: `flushDelay` ms
 * after the first record, as soon as it holds LIMITS.counted, or when flushed (the page is
 * hidden or left). Besides its records a beacon says only the site, the browser's time zone and
 * language, and the window's screen class. Returns `[add, flush, drop]`: `flush` sends what waits
 * if counting is allowed (else drops it), `drop` drops it (consent was withdrawn).
 */
export function createQueue(
  site: string,
  collector: Collector,
  flushDelay: number,
  allowed: () => boolean | undefined,
): [add: (record: PageRecord | EventRecord) => void, flush: () => void, drop: () => void] {
  const batch = createBatch()
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    const { pages, events } = batch.take()
    if (!allowed() || !(pages[0] || events[0])) return
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone
    const lang = navigator.language.split('-')[0]!.toLowerCase()
    send(
      {
        v: PROTOCOL_VERSION,
        site,
        ...(TIME_ZONE.test(tz) && { tz }),
        ...(LANGUAGE.test(lang) && { lang }),
        screen: screenClass(innerWidth),
        ...(pages[0] && { pages }),
        ...(events[0] && { events }),
      },
      collector,
    )
  }
  const add = (record: PageRecord | EventRecord) => {
    'views' in record ? batch.page(record) : batch.event(record)
    batch.size() < LIMITS.counted ? (timer ??= setTimeout(flush, flushDelay)) : flush()
  }
  return [add, flush, () => void batch.take()]
}
