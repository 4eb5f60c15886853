import { join } from 'node:path'
import type { Hono } from 'hono'
import { serveCollector } from '../../collector/http/node.js'
import { openSpool, type Spool } from '../../collector/ingest/spool.js'
import { registryFile, withSite, withToken } from '../../collector/sites/registry.js'
import type { Store } from '../../collector/stores/store.js'
import { mountDashboard } from '../../dashboard/routes.js'
import { mountExampleSite } from '../../example-site/mount.js'
import { CONFIG, type Command, localTimeZone, openMigrated, packageRoot, STORE, wholeNumber } from '../command.js'
import { hasDemoData, seedDemoSites } from '../demo-data.js'

/** How long a stop may take to commit what waits before the process exits anyway. */
const SHUTDOWN_MS = 10_000

/** A store URL as a spool's header names it: without its password. */
function withoutPassword(url: string) {
  try {
    const parsed = new URL(url)
    parsed.password = ''
    return parsed.href
  } catch {
    return url
  }
}

/** Closes what was opened when starting fails, and throws on. */
const closing =
  (store: Store, spool?: Spool) =>
  async (error: Error): Promise<never> => {
    await spool?.close()
    await store.close()
    throw error
  }

export const serve: Command = {
  usage: `quietcount serve [--port 8080] [--host 127.0.0.1] [--store URL] [--config FILE] [--examples]

Serves the collector (POST /api/collect, GET /api/stats, GET /api/share/:id, GET /healthz) and
the dashboard at / and /share/:id.
  --port      port to listen on (env PORT; default 8080)
  --host      address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --store     sqlite:FILE (default sqlite:./quietcount.db; env QUIETCOUNT_STORE)
  --config    sites and tokens file (default ./quietcount.json; env QUIETCOUNT_CONFIG)
  --examples  also serve the example site at /example (site id example.test, registered if
              missing), fill an empty store with a year of demo data, and print an admin
              token for the dashboard (made anew at each start)
  --rate-limit  beacons a second per client address (burst: ten times as many); 0 turns the
              limit off (default 20; env QUIETCOUNT_RATE_LIMIT)
  --trust-proxy  behind a reverse proxy: rate-limit by the last X-Forwarded-For address
              (env QUIETCOUNT_TRUST_PROXY=1); never when clients reach the collector directly
  --spool     file where beacons are kept while a PostgreSQL or ClickHouse store is away,
              replayed once it is back (default ./quietcount.spool for those stores, none for
              SQLite; "off" for none; env QUIETCOUNT_SPOOL)
  --spool-max-mb  the most the spool may hold, in MiB (default 256); past it beacons get 503`,
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    store: STORE,
    config: CONFIG,
    examples: { type: 'boolean' },
    'trust-proxy': { type: 'boolean', default: process.env.QUIETCOUNT_TRUST_PROXY === '1' },
    'rate-limit': { type: 'string', default: process.env.QUIETCOUNT_RATE_LIMIT ?? '20' },
    spool: { type: 'string', default: process.env.QUIETCOUNT_SPOOL },
    'spool-max-mb': { type: 'string', default: '256' },
  },
  async run(v) {
    const port = wholeNumber('port', v.port, 0, 65535)
    const perSecond = wholeNumber('rate-limit', v['rate-limit'], 0, 100_000, { minMeans: 'off' })
    const rateLimit = perSecond ? { perSecond, burst: perSecond * 10 } : (false as const)
    const spoolMiB = wholeNumber('spool-max-mb', v['spool-max-mb'], 1, 1_048_576, { unit: 'MiB' })
    // A SQLite store is on this machine's disk already: a spool beside it would fail with it.
    const spoolFile = v.spool === undefined ? (String(v.store).startsWith('sqlite:') ? 'off' : './quietcount.spool') : String(v.spool)
    const registry = registryFile(String(v.config))
    if (v.examples && !registry.read().sites.some((s) => s.id === 'example.test')) {
      registry.write(withSite(registry.read(), { id: 'example.test', origins: [], timezone: localTimeZone(), shares: [] }))
    }
    const store = await openMigrated(String(v.store), registry)
    const spool = spoolFile === 'off' ? undefined : await openSpool(spoolFile, { maxBytes: spoolMiB * 1024 * 1024, store: withoutPassword(String(v.store)) }).catch(closing(store))
    if (spool?.size().batches) console.log(`quietcount serve: replaying ${spool.size().batches} batches left in the spool ${spool.file}`)
    let token: string | undefined
    if (v.examples) {
      if (!(await hasDemoData(store))) await seedDemoSites(store, registry, {})
      const made = withToken(registry.read(), '*', { note: 'npm start', replace: true })
      registry.write(made.registry)
      token = made.token
    }
    const extend = (app: Hono) => {
      mountDashboard(app, join(packageRoot, 'dist'))
      if (v.examples) mountExampleSite(app, packageRoot)
    }
    const server = await serveCollector({
      store,
      registry,
      port,
      hostname: String(v.host),
      trustProxy: Boolean(v['trust-proxy']),
      rateLimit,
      extend,
      groupCommit: { spool },
    }).catch(closing(store, spool))
    console.log(`QuietCount collector on ${server.url}  (store ${v.store}, sites in ${v.config})`)
    console.log(`Dashboard: ${server.url}/`)
    if (token) console.log(`  sign in with this admin token (made for this run): ${token}`)
    if (v.examples) console.log(`Example site: ${server.url}/example  then: npm run quietcount -- report --site example.test --period today --breakdown page`)
    // A stop commits what waits, closes the store and exits 0. A second signal, or a flush that
    // outlasts SHUTDOWN_MS (a store that does not answer), exits 1 at once, saying what was not
    // committed: none of it was acknowledged, so no client was told it was counted.
    let stopping = false
    const kept = (batches: number) => (batches ? `; ${batches} acknowledged batches stay in the spool ${spool!.file}, replayed at the next start` : '')
    const lost = (why: string) => {
      const { beacons, rows, spooled } = server.backlog()
      console.error(`quietcount serve: ${why}; exiting with ${beacons} beacons (${rows} merged rows) not committed and not acknowledged${kept(spooled)}`)
      // The store's worker threads are stopped first: one caught in a native wait for a lock
      // would otherwise abort the process at exit. At most a second.
      const exit = () => process.exit(1)
      setTimeout(exit, 1_000).unref()
      store.close().then(exit, exit)
    }
    const stop = async (signal: string) => {
      if (stopping) return lost(`${signal} again while stopping`)
      stopping = true
      setTimeout(() => lost(`still committing ${SHUTDOWN_MS / 1000} s after ${signal}`), SHUTDOWN_MS).unref()
      console.log(`quietcount serve: ${signal}, committing ${server.backlog().beacons} waiting beacons, then stopping`)
      await server.close()
      const { spooled } = server.backlog()
      await spool?.close()
      await store.close()
      registry.close()
      if (spooled) console.log(`quietcount serve: stopped${kept(spooled)}`)
      process.exit(0)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  },
}
