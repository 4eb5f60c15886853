import { join } from 'node:path'
import type { Hono } from 'hono'
import { serveCollector } from '../../collector/node.js'
import { registryFile, withSite, withToken } from '../../collector/registry.js'
import { mountDashboard } from '../../dashboard/routes.js'
import { mountExampleSite } from '../../example-site/mount.js'
import { CONFIG, type Command, localTimeZone, openMigrated, packageRoot, STORE, wholeNumber } from '../command.js'
import { hasDemoData, seedDemoSites } from '../demo-data.js'

/** How long a stop may take to commit what waits before the process exits anyway. */
const SHUTDOWN_MS = 10_000

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
              (env QUIETCOUNT_TRUST_PROXY=1); never when clients reach the collector directly`,
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    store: STORE,
    config: CONFIG,
    examples: { type: 'boolean' },
    'trust-proxy': { type: 'boolean', default: process.env.QUIETCOUNT_TRUST_PROXY === '1' },
    'rate-limit': { type: 'string', default: process.env.QUIETCOUNT_RATE_LIMIT ?? '20' },
  },
  async run(v) {
    const port = wholeNumber('port', v.port, 0, 65535)
    const perSecond = wholeNumber('rate-limit', v['rate-limit'], 0, 100_000, { minMeans: 'off' })
    const rateLimit = perSecond ? { perSecond, burst: perSecond * 10 } : (false as const)
    const registry = registryFile(String(v.config))
    if (v.examples && !registry.read().sites.some((s) => s.id === 'example.test')) {
      registry.write(withSite(registry.read(), { id: 'example.test', origins: [], timezone: localTimeZone(), shares: [] }))
    }
    const store = await openMigrated(String(v.store), registry)
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
    const server = await serveCollector({ store, registry, port, hostname: String(v.host), trustProxy: Boolean(v['trust-proxy']), rateLimit, extend }).catch(
      async (error: Error) => {
        await store.close()
        throw error
      },
    )
    console.log(`QuietCount collector on ${server.url}  (store ${v.store}, sites in ${v.config})`)
    console.log(`Dashboard: ${server.url}/`)
    if (token) console.log(`  sign in with this admin token (made for this run): ${token}`)
    if (v.examples) console.log(`Example site: ${server.url}/example  then: npm run quietcount -- report --site example.test --period today --breakdown page`)
    // A stop commits what waits, closes the store and exits 0. A second signal, or a flush that
    // outlasts SHUTDOWN_MS (a store that does not answer), exits 1 at once, saying what was not
    // committed: none of it was acknowledged, so no client was told it was counted.
    let stopping = false
    const lost = (why: string) => {
      const { beacons, rows } = server.backlog()
      console.error(`quietcount serve: ${why}; exiting with ${beacons} beacons (${rows} merged rows) not committed and not acknowledged`)
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
      await store.close()
      registry.close()
      process.exit(0)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  },
}
