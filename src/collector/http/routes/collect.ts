import type { Context, Handler } from 'hono'
import { parseBeacon } from '../../../shared/parse-beacon.js'
import { type Beacon, LIMITS } from '../../../shared/protocol.js'
import { type Client, describeClient } from '../../ingest/enrich.js'
import type { GroupCommit } from '../../ingest/group-commit.js'
import { beaconCounted } from '../../ingest/ingest.js'
import type { RealtimeCounter } from '../../ingest/realtime.js'
import type { RegistryFile } from '../../sites/registry.js'
import { detailDaysOf, type Site } from '../../sites/sites.js'
import { acceptsOrigin, corsHeaders } from '../cors.js'
import { refuse } from '../error.js'
import { readBody } from '../read-body.js'

export interface CollectOptions {
  registry: RegistryFile
  commits: GroupCommit
  realtime: RealtimeCounter
  /** The rate limit: whether a beacon from this address may be taken now. */
  allow: (address: string | undefined) => boolean
  clientAddress?: ((c: Context) => string | undefined) | undefined
  /** True once the collector is stopping: beacons are then refused. */
  closing: () => boolean
  /** Logs a failed commit (commit-log.ts). */
  commitFailed: (failure: unknown) => void
}

const tooLarge = (c: Context) => refuse(c, 413, 'body', `must be at most ${LIMITS.beaconBytes} bytes`)

/**
 * `POST /api/collect`: a beacon (text/plain or application/json) checked, counted and committed,
 * then 204; every refusal is `{ field, rule, message }` with its status (docs/collector.md, "Ingest: what happens to a beacon").
 *
 * @example
 * app.post('/api/collect', collect({ registry, commits, realtime, allow: () => true, closing: () => false, commitFailed: console.error }))
 */
export const collect =
  (options: CollectOptions): Handler =>
  async (c) => {
    const refused = refuseEarly(c, options)
    if (refused) return refused
    const body = await readBody(c.req.raw, LIMITS.beaconBytes)
    if (body === undefined) return tooLarge(c)
    const parsed = parseBeacon(body)
    if (!parsed.ok) return c.json(parsed.error, parsed.status)
    const { beacon } = parsed
    const site = options.registry.read().sites.find((s) => s.id === beacon.site)
    if (!site) return refuse(c, 403, 'site', `is not a site of this collector (got ${JSON.stringify(beacon.site)})`)
    const origin = c.req.header('origin')
    if (origin && !acceptsOrigin(site, origin)) {
      return refuse(c, 403, 'origin', `${JSON.stringify(origin)} may not send beacons for ${site.id} (allowed: ${site.origins.join(', ')})`)
    }
    const client = describeClient(c.req.raw.headers)
    // Bots are answered like everyone else, so they learn nothing, but nothing is counted.
    if (client) {
      const notCounted = await count(c, options, beacon, site, client)
      if (notCounted) return notCounted
    }
    return c.body(null, 204, corsHeaders(site, origin))
  }

/** What is refused before the body is read: its type (415), its declared length (413), the client's rate (429). */
function refuseEarly(c: Context, options: CollectOptions): Response | undefined {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim()
  if (type !== 'text/plain' && type !== 'application/json') return refuse(c, 415, 'content-type', `must be text/plain or application/json (got ${JSON.stringify(type)})`)
  if (Number(c.req.header('content-length') ?? 0) > LIMITS.beaconBytes) return tooLarge(c)
  if (!options.allow(options.clientAddress?.(c))) return refuse(c, 429, 'rate', 'too many beacons from this client; retry later')
  return undefined
}

/** Counts a beacon in the next group commit and waits for it; the 503 answer when it is not counted. */
async function count(c: Context, options: CollectOptions, beacon: Beacon, site: Site, client: Client): Promise<Response | undefined> {
  if (options.closing()) {
    // Stopping: what waits is being committed; new beacons go to the next collector.
    c.header('connection', 'close')
    c.header('retry-after', '1')
    return refuse(c, 503, 'server', 'the collector is stopping; nothing was counted, send again later')
  }
  const counted = beaconCounted(beacon, client, Math.floor(Date.now() / 3_600_000), { ...site, detailDays: detailDaysOf(site) })
  const committed = options.commits.add(counted)
  if (committed === 'full') {
    c.header('retry-after', '1')
    return refuse(c, 503, 'server', 'too many beacons are waiting for the store; nothing was counted, send again later')
  }
  try {
    await committed
  } catch (failure) {
    // The store refused or could not be reached: the beacon was not counted (SQLite and
    // PostgreSQL roll the whole commit back) and is not acknowledged.
    options.commitFailed(failure)
    c.header('retry-after', '5')
    return refuse(c, 503, 'store', 'the store did not take the counts (it may be unavailable); nothing was acknowledged, send again later')
  }
  const pages = counted.records.filter((row) => row.table === 'detail_pages')
  options.realtime.add(
    site.id,
    pages.reduce((sum, row) => sum + (row.counts.views ?? 0), 0),
    pages.reduce((sum, row) => sum + (row.counts.visits ?? 0), 0),
  )
  return undefined
}
