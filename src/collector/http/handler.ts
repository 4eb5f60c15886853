import { type Context, Hono } from 'hono'
import { type GroupCommitOptions, groupCommit } from '../ingest/group-commit.js'
import { realtimeCounter } from '../ingest/realtime.js'
import { scheduleExpiry } from '../retention.js'
import type { RegistryFile } from '../sites/registry.js'
import { publicAnswers } from '../stats/public/answer.js'
import type { Store } from '../stores/store.js'
import { siteReader, tokenReader } from './auth.js'
import { commitFailureLog } from './commit-log.js'
import { preflight } from './cors.js'
import { abandonedBodies, onFailure } from './error.js'
import { nosniff } from './nosniff.js'
import { rateLimiter } from './rate-limit.js'
import { collect } from './routes/collect.js'
import { healthz } from './routes/healthz.js'
import { realtime } from './routes/realtime.js'
import { share } from './routes/share.js'
import { sites } from './routes/sites.js'
import { stats } from './routes/stats.js'

export interface CollectorOptions {
  store: Store
  registry: RegistryFile
  /** The client's address, for rate limiting only (the Node adapter supplies the socket's). */
  clientAddress?: (c: Context) => string | undefined
  /** The group commit's bounds, and its spool for when the store is away (ingest/spool.ts). */
  groupCommit?: GroupCommitOptions
  /**
   * Beacons per second per client address, and the burst allowed (default 20 and 200: visitors
   * behind one NAT share an address); `false` turns it off (benchmarks, or a proxy that limits).
   */
  rateLimit?: { perSecond?: number; burst?: number } | false
  /** How often detail (and limited marginals) older than each site's windows is deleted, in ms (default hourly); 0: never (`quietcount prune` does it). */
  expireEveryMs?: number
}

/**
 * The collector as a web-standard handler (`Request → Response`): mount `collector.app` in any
 * Hono app or call `collector.fetch(request)` directly; http/node.ts serves it on Node.
 *
 * Routes: `POST /api/collect` (beacons, text/plain or application/json), `GET /api/stats`,
 * `GET /api/realtime` and `GET /api/sites` (bearer token of the site or the admin),
 * `GET /api/share/:id` (public share links, differentially private), `GET /healthz`.
 *
 * @example
 * const collector = createCollector({ store: sqliteStore('quietcount.db'), registry: registryFile('quietcount.json') })
 * const response = await collector.fetch(new Request('http://x/healthz'))
 */
export function createCollector(options: CollectorOptions) {
  const { store, registry } = options
  const commits = groupCommit(store, options.groupCommit)
  const expiry = scheduleExpiry(store, registry, options.expireEveryMs ?? 3_600_000)
  const abandoned = abandonedBodies()
  const counter = realtimeCounter()
  let closing = false
  const app = new Hono()
  app.use(nosniff)
  app.onError(onFailure(abandoned))
  app.options('/api/collect', preflight(registry))
  app.post(
    '/api/collect',
    collect({
      registry,
      commits,
      realtime: counter,
      allow: options.rateLimit === false ? () => true : rateLimiter(options.rateLimit),
      clientAddress: options.clientAddress,
      closing: () => closing,
      commitFailed: commitFailureLog(),
    }),
  )
  app.get('/api/stats', siteReader(registry), stats(store))
  app.get('/api/realtime', siteReader(registry), realtime(counter))
  app.get('/api/sites', tokenReader(registry), sites)
  app.get('/api/share/:id', share(registry, publicAnswers(store)))
  app.get('/healthz', healthz(store))
  return {
    app,
    fetch: (request: Request, env?: unknown) => app.fetch(request, env),
    /** Commits what waits. */
    flush: () => commits.flush(),
    /** Request bodies that clients abandoned since the start (logged as a count, at most once a minute). */
    abandoned: () => abandoned.total(),
    /** Beacons and merged rows waiting for their commit: what a forced exit would lose (none of it acknowledged). */
    backlog: () => commits.backlog(),
    /** Deletes detail older than each site's window, and limited marginals, now (the collector does it hourly by itself). */
    expire: () => expiry.expire(),
    /** Refuses new beacons (503), stops the hourly expiry and commits what waits; call before closing the store. */
    async close() {
      closing = true
      abandoned.stop()
      await expiry.stop()
      await commits.close()
    },
  }
}
export type Collector = ReturnType<typeof createCollector>
