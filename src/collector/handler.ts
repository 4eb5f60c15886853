import { type Context, Hono } from 'hono'
import { parseBeacon } from '../shared/parse-beacon.js'
import { LIMITS } from '../shared/protocol.js'
import { countedLog } from './counted-log.js'
import { describeClient } from './enrich.js'
import { type GroupCommitOptions, groupCommit } from './group-commit.js'
import { nosniff } from './http/nosniff.js'
import { beaconCounted } from './ingest.js'
import { rateLimiter } from './rate-limit.js'
import { AbandonedBody, readBody } from './read-body.js'
import { realtimeCounter } from './realtime.js'
import type { RegistryFile } from './registry.js'
import { expireDetail, expireMarginals } from './retention.js'
import { detailDaysOf, isLegacyShare, mayRead, type Site, tokenScope } from './sites.js'
import { answerStats } from './stats/answer.js'
import { parseStatsQuery } from './stats/parse-query.js'
import { publicAnswers } from './stats/public/answer.js'
import { parsePublicQuery } from './stats/public/query.js'
import type { Store } from './stores/store.js'

export interface CollectorOptions {
  store: Store
  registry: RegistryFile
  /** The client's address, for rate limiting only (the Node adapter supplies the socket's). */
  clientAddress?: (c: Context) => string | undefined
  /** The group commit's bounds, and its spool for when the store is away (spool.ts). */
  groupCommit?: GroupCommitOptions
  /**
   * Beacons per second per client address, and the burst allowed (default 20 and 200: visitors
   * behind one NAT share an address); `false` turns it off (benchmarks, or a proxy that limits).
   */
  rateLimit?: { perSecond?: number; burst?: number } | false
  /** How often detail (and limited marginals) older than each site's windows is deleted, in ms (default hourly); 0: never (`quietcount prune` does it). */
  expireEveryMs?: number
}

const error = (c: Context, status: 400 | 401 | 403 | 404 | 410 | 413 | 415 | 429 | 503, field: string, rule: string, message = `${field}: ${rule}`) =>
  c.json({ field, rule, message }, status)

/**
 * The collector as a web-standard handler (`Request → Response`): mount `collector.app` in any
 * Hono app or call `collector.fetch(request)` directly; src/collector/node.ts serves it on Node.
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
  // The last commit failure logged, and when: one line per commit would flood the log in an outage.
  let lastLogged = { failure: undefined as unknown, message: '', at: 0 }
  let closing = false
  const allow = options.rateLimit === false ? () => true : rateLimiter(options.rateLimit)
  const realtime = realtimeCounter()
  const shared = publicAnswers(store)
  // Detail older than each site's window, and marginals older than a site's limit, are deleted
  // now and then every hour, one run at a time; a failure of one tier does not keep the other.
  let expiring: Promise<void> = Promise.resolve()
  const logged = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work()
    } catch (failure) {
      console.error(`quietcount: expiring old ${what} failed: ${failure instanceof Error ? failure.message : String(failure)}`)
    }
  }
  const expire = () =>
    (expiring = expiring.then(async () => {
      await logged('detail', () => expireDetail(store, registry.read().sites))
      await logged('marginals', () => expireMarginals(store, registry.read().sites))
    }))
  const expiry = options.expireEveryMs === 0 ? undefined : setInterval(expire, options.expireEveryMs ?? 3_600_000)
  expiry?.unref()
  if (expiry) void expire()
  // A client that leaves in the middle of its body (a tab closed while a beacon was sent) is not
  // the collector's failure, and a busy site has many: the first is logged, then a count at most
  // once a minute.
  const abandoned = countedLog(
    60_000,
    'quietcount: a client closed its connection before sending the whole request body; more are counted and logged at most once a minute',
    (count) => `quietcount: ${count.toLocaleString('en')} more request bodies abandoned by their clients in the last minute`,
  )
  const app = new Hono()
  app.use(nosniff)
  // An unexpected failure (a store that went away) answers in the same JSON shape as every other
  // error, and the log names the error, never the request.
  app.onError((failure, c) => {
    if (failure instanceof AbandonedBody) {
      abandoned.add()
      return error(c, 400, 'body', 'was not received whole: the client closed the connection')
    }
    console.error(`quietcount: ${c.req.method} ${c.req.path} failed: ${failure instanceof Error ? failure.message : String(failure)}`)
    return c.json({ field: 'server', rule: 'internal error', message: 'server: the request failed inside the collector; see its log' }, 500)
  })

  // CORS for ingest: only the site's declared origins, and only for what a beacon needs.
  const corsHeaders = (site: Site | undefined, origin: string | undefined): Record<string, string> =>
    origin && site && (site.origins.length === 0 || site.origins.includes(origin))
      ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', vary: 'origin' }
      : {}
  // A preflight carries no body, so no site id: any site that accepts the origin lets it through.
  const siteOfOrigin = (origin: string | undefined) => registry.read().sites.find((s) => origin && (s.origins.length === 0 || s.origins.includes(origin)))

  app.options('/api/collect', (c) => {
    const headers = corsHeaders(siteOfOrigin(c.req.header('origin')), c.req.header('origin'))
    return c.body(null, headers['access-control-allow-origin'] ? 204 : 403, headers)
  })

  app.post('/api/collect', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim()
    if (type !== 'text/plain' && type !== 'application/json') return error(c, 415, 'content-type', `must be text/plain or application/json (got ${JSON.stringify(type)})`)
    if (Number(c.req.header('content-length') ?? 0) > LIMITS.beaconBytes) return error(c, 413, 'body', `must be at most ${LIMITS.beaconBytes} bytes`)
    if (!allow(options.clientAddress?.(c))) return error(c, 429, 'rate', 'too many beacons from this client; retry later')
    const body = await readBody(c.req.raw, LIMITS.beaconBytes)
    if (body === undefined) return error(c, 413, 'body', `must be at most ${LIMITS.beaconBytes} bytes`)
    const parsed = parseBeacon(body)
    if (!parsed.ok) return c.json(parsed.error, parsed.error.field === 'body' && parsed.error.rule.includes('bytes') ? 413 : 400)
    const { beacon } = parsed
    const site = registry.read().sites.find((s) => s.id === beacon.site)
    if (!site) return error(c, 403, 'site', `is not a site of this collector (got ${JSON.stringify(beacon.site)})`)
    const origin = c.req.header('origin')
    if (origin && site.origins.length && !site.origins.includes(origin)) {
      return error(c, 403, 'origin', `${JSON.stringify(origin)} may not send beacons for ${site.id} (allowed: ${site.origins.join(', ')})`)
    }
    const headers = corsHeaders(site, origin)
    const client = describeClient(c.req.raw.headers)
    // Bots are answered like everyone else, so they learn nothing, but nothing is counted.
    if (client) {
      if (closing) {
        // Stopping: what waits is being committed; new beacons go to the next collector.
        c.header('connection', 'close')
        c.header('retry-after', '1')
        return error(c, 503, 'server', 'the collector is stopping; nothing was counted, send again later')
      }
      const counted = beaconCounted(beacon, client, Math.floor(Date.now() / 3_600_000), { ...site, detailDays: detailDaysOf(site) })
      const committed = commits.add(counted)
      if (committed === 'full') {
        c.header('retry-after', '1')
        return error(c, 503, 'server', 'too many beacons are waiting for the store; nothing was counted, send again later')
      }
      try {
        await committed
      } catch (failure) {
        // The store refused or could not be reached: the beacon was not counted (SQLite and
        // PostgreSQL roll the whole commit back) and is not acknowledged.
        // Every beacon of a failed commit gets the same error: it is logged once, and the same
        // message again at most every 10 s.
        const message = failure instanceof Error ? failure.message : String(failure)
        if (failure !== lastLogged.failure && (message !== lastLogged.message || Date.now() - lastLogged.at > 10_000)) {
          console.error(`quietcount: a commit failed: ${message}`)
          lastLogged = { failure, message, at: Date.now() }
        }
        c.header('retry-after', '5')
        return error(c, 503, 'store', 'the store did not take the counts (it may be unavailable); nothing was acknowledged, send again later')
      }
      const pages = counted.records.filter((row) => row.table === 'detail_pages')
      realtime.add(
        site.id,
        pages.reduce((sum, row) => sum + (row.counts.views ?? 0), 0),
        pages.reduce((sum, row) => sum + (row.counts.visits ?? 0), 0),
      )
    }
    return c.body(null, 204, headers)
  })

  const stats = async (c: Context, site: Site) => {
    const params = new URL(c.req.url).searchParams
    const parsed = parseStatsQuery(params, site, Date.now())
    if (!parsed.ok) return c.json(parsed.error, 400)
    const answer = await answerStats(store, parsed.query)
    if (!answer.ok) return c.json(answer.error, 403)
    return c.json(answer.result, 200, { 'cache-control': 'no-store' })
  }

  /** The site named by `?site=` if the bearer token may read it, else the error response. */
  const readable = (c: Context): Site | Response => {
    const id = c.req.query('site')
    if (!id) return error(c, 400, 'site', 'is required: the id of the site to read')
    const registered = registry.read()
    const scope = tokenScope(registered, c.req.header('authorization'))
    if (scope === undefined) return error(c, 401, 'authorization', 'needs "Bearer <token>" with a read token of the site or the admin token')
    if (!mayRead(scope, id)) return error(c, 403, 'authorization', `this token may not read ${JSON.stringify(id)}`)
    return registered.sites.find((s) => s.id === id) ?? error(c, 404, 'site', `is not a site of this collector (got ${JSON.stringify(id)})`)
  }

  app.get('/api/stats', async (c) => {
    const site = readable(c)
    return site instanceof Response ? site : stats(c, site)
  })

  // Page views and visits started in the last five minutes, from memory (see realtime.ts).
  app.get('/api/realtime', (c) => {
    const site = readable(c)
    return site instanceof Response ? site : c.json({ site: site.id, ...realtime.recent(site.id) }, 200, { 'cache-control': 'no-store' })
  })

  // The sites a token may read, for the dashboard's site picker.
  app.get('/api/sites', (c) => {
    const registered = registry.read()
    const scope = tokenScope(registered, c.req.header('authorization'))
    if (scope === undefined) return error(c, 401, 'authorization', 'needs "Bearer <token>" with a read token of a site or the admin token')
    const readableSites = registered.sites.filter((s) => mayRead(scope, s.id))
    return c.json({ sites: readableSites.map((s) => ({ id: s.id, timezone: s.timezone })) }, 200, { 'cache-control': 'no-store' })
  })

  // A share link answers from noisy cells only (stats/public/): exact figures never leave here without a token.
  app.get('/api/share/:id', async (c) => {
    const id = c.req.param('id')
    const site = registry.read().sites.find((s) => s.shares.some((share) => share.id === id))
    const link = site?.shares.find((share) => share.id === id)
    if (!site || !link) return error(c, 404, 'share', 'this address is not a share link of this collector (it may have been revoked)')
    if (isLegacyShare(link)) {
      return error(c, 410, 'share', 'this link was made for k-anonymity, which QuietCount no longer serves; its owner turns it into a private link with quietcount migrate')
    }
    const parsed = parsePublicQuery(new URL(c.req.url).searchParams, site, link)
    if (!parsed.ok) return c.json(parsed.error, 400)
    return c.json(await shared(parsed.query), 200, { 'cache-control': 'no-store' })
  })

  app.get('/healthz', async (c) => {
    await store.query([{ site: '', parts: [{ table: 'totals', from: 0, to: 0 }] }])
    return c.json({ ok: true })
  })

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
    expire: () => expire(),
    /** Refuses new beacons (503), stops the hourly expiry and commits what waits; call before closing the store. */
    async close() {
      closing = true
      clearInterval(expiry)
      abandoned.stop()
      await expiring
      await commits.close()
    },
  }
}
export type Collector = ReturnType<typeof createCollector>
