import type { Beacon } from '../shared/protocol.js'

/** Where beacons go: a collector URL, or a function for a custom pipeline. */
export type Collector = string | ((beacon: Beacon) => void)

/**
 * Sends a beacon. A URL gets `navigator.sendBeacon`, which survives the page being closed; when
 * it is missing or refuses (its 64 KB in-flight quota is full), `fetch` with `keepalive`. Both
 * send `text/plain`, so a cross-origin collector needs no CORS preflight.
 */
export function send(beacon: Beacon, collector: Collector): void {
  if (typeof collector === 'function') collector(beacon)
  else {
    const body = JSON.stringify(beacon)
    if (!navigator.sendBeacon?.(collector, body)) {
      fetch(collector, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {})
    }
  }
}
