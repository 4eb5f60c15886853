/**
 * A load generator for the fault tests: `connections` loops that each post one-page-view beacons
 * back to back, counting what they sent and what the collector acknowledged (204), until stopped
 * or until the collector goes away. A beacon whose answer never came counts as sent, not
 * acknowledged: the store may or may not hold it, so acknowledged ≤ stored ≤ sent.
 */
export interface Load {
  sent: number
  acknowledged: number
  /** The numbers passed to `body` of the beacons acknowledged, in the order of their answers. */
  acknowledgedBeacons: number[]
  /** Answers other than 204, by status (503: the group commit was full). */
  refused: Map<number, number>
  /** Stops sending and resolves once every loop has its last answer or error. */
  stop(): Promise<void>
}

export const BEACON = JSON.stringify({ v: 1, site: 'faults.test', tz: 'UTC', lang: 'en', screen: 'desktop', pages: [{ path: '/', flags: 0, views: 1, seconds: 0, scroll: 0 }] })

/** Beacons on a new path each (letters: the scrubber would turn digits into a placeholder), so that each adds rows. */
export const distinctPath = (n: number) => `/${n.toString(26).replace(/./g, (d) => String.fromCharCode(97 + Number.parseInt(d, 26)))}`
export const distinctBeacon = (n: number) => BEACON.replace('"path":"/"', `"path":"${distinctPath(n)}"`)

export function startLoad(url: string, connections = 32, body: (n: number) => string = () => BEACON): Load {
  let running = true
  const load: Load = { sent: 0, acknowledged: 0, acknowledgedBeacons: [], refused: new Map(), stop: async () => {} }
  const loop = async () => {
    while (running) {
      const n = ++load.sent
      try {
        const response = await fetch(`${url}/api/collect`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
          body: body(n),
        })
        await response.arrayBuffer()
        if (response.status === 204) {
          load.acknowledged++
          load.acknowledgedBeacons.push(n)
        } else load.refused.set(response.status, (load.refused.get(response.status) ?? 0) + 1)
      } catch {
        // The collector went away with this beacon in flight.
        return
      }
    }
  }
  const loops = Array.from({ length: connections }, loop)
  load.stop = async () => {
    running = false
    await Promise.all(loops)
  }
  return load
}

/**
 * Resolves once `reached()` holds: a state to wait for instead of a time to sleep, so that a busy
 * machine takes longer rather than fails. `limitMs` only stops a collector that stopped answering.
 */
export async function waitFor(what: string, reached: () => boolean, limitMs = 60_000) {
  for (const deadline = Date.now() + limitMs; !reached(); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${limitMs / 1000} s`)
  }
}
