#!/usr/bin/env node
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { Hono } from 'hono'
import { serveCollector } from '../collector/node.js'
import { expireDetail } from '../collector/retention.js'
import { DEFAULT_DETAIL_DAYS, detailDaysOf, hashToken, MAX_DETAIL_DAYS, newSecret, registryFile, type Site, siteProblem } from '../collector/sites.js'
import { refuseUnderK } from '../collector/stats/k-anonymity.js'
import { parseStatsQuery } from '../collector/stats/parse-query.js'
import { runStats } from '../collector/stats/run.js'
import { openStore } from '../collector/stores/open.js'
import type { Store } from '../collector/stores/store.js'
import { mountDashboard } from '../dashboard/routes.js'
import { BREAKDOWN_NAMES, FILTERS } from '../shared/dimensions.js'
import type { StatsResult } from '../shared/stats-types.js'
import { DEMO_SITES, progressBar, seedDemo } from './demo-data.js'
import { formatReport } from './report-format.js'

/**
 * The `quietcount` command. Every command validates its flags and says what was wrong and what
 * is allowed; exit code 2 for a usage error, 1 for a failure.
 */

const STORE = { type: 'string', default: process.env.QUIETCOUNT_STORE ?? 'sqlite:./quietcount.db' } as const
const CONFIG = { type: 'string', default: process.env.QUIETCOUNT_CONFIG ?? './quietcount.json' } as const
const HELP = { type: 'boolean', short: 'h' } as const

class UsageError extends Error {}

interface Command {
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<void>
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..')

const COMMANDS: Record<string, Command> = {
  serve: {
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
      const port = Number(v.port)
      if (!/^\d+$/.test(String(v.port)) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(v.port)})`)
      const perSecond = Number(v['rate-limit'])
      if (!/^\d+$/.test(String(v['rate-limit'])) || perSecond > 100_000)
        throw new UsageError(`--rate-limit must be a whole number from 0 (off) to 100000 (got ${JSON.stringify(v['rate-limit'])})`)
      const rateLimit = perSecond ? { perSecond, burst: perSecond * 10 } : (false as const)
      const registry = registryFile(String(v.config))
      if (v.examples && !registry.read().sites.some((s) => s.id === 'example.test')) {
        const current = registry.read()
        registry.write({
          ...current,
          sites: [...current.sites, { id: 'example.test', origins: [], timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', shares: [] }],
        })
      }
      const store = await openMigrated(String(v.store), registry)
      let token: string | undefined
      if (v.examples) {
        if (!(await hasDemoData(store))) await seedDemoSites(store, registry, {})
        token = newSecret()
        const current = registry.read()
        const tokens = current.tokens.filter((t) => t.note !== 'npm start')
        registry.write({ ...current, tokens: [...tokens, { hash: hashToken(token), site: '*', created: new Date().toISOString(), note: 'npm start' }] })
      }
      const extend = (app: Hono) => {
        mountDashboard(app, join(packageRoot, 'dist'))
        if (v.examples) mountExamples(app)
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
      const stop = async () => {
        await server.close()
        await store.close()
        process.exit(0)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    },
  },

  demo: {
    usage: `quietcount demo [--seed 1] [--days 365] [--store URL] [--config FILE]

Fills a store (best a throw-away one: --store sqlite:./demo.db) with a year of aggregated
traffic for the demo sites ${DEMO_SITES.map((s) => s.id).join(', ')}, registers them, and prints an
admin token for the dashboard. The same seed gives the same counts.`,
    options: { seed: { type: 'string', default: '1' }, days: { type: 'string', default: '365' }, store: STORE, config: CONFIG },
    async run(v) {
      const number = (name: string, max: number) => {
        const raw = String(v[name])
        if (!/^\d+$/.test(raw) || +raw < 1 || +raw > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max} (got ${JSON.stringify(raw)})`)
        return +raw
      }
      const seed = number('seed', 2 ** 31)
      const days = number('days', 3 * 366)
      const registry = registryFile(String(v.config))
      const store = await openMigrated(String(v.store), registry)
      try {
        if (await hasDemoData(store)) throw new UsageError(`${v.store} holds demo counts already; seeding again would add to them (use a fresh --store)`)
        const pageviews = await seedDemoSites(store, registry, { seed, days })
        const token = newSecret()
        const current = registry.read()
        registry.write({ ...current, tokens: [...current.tokens, { hash: hashToken(token), site: '*', created: new Date().toISOString(), note: 'demo' }] })
        console.log(`seeded ${pageviews.toLocaleString('en')} page views over ${days} days into ${v.store}`)
        console.log(`admin token for the dashboard (shown once): ${token}`)
      } finally {
        await store.close()
      }
    },
  },

  migrate: {
    usage: `quietcount migrate [--store URL] [--config FILE]

Creates or upgrades the store's schema (versioned, safe to run again). An upgrade that builds
the marginal tier from older counts puts them in each site's local days, so it reads the sites'
time zones from --config (a site it does not list counts in UTC).`,
    options: { store: STORE, config: CONFIG },
    async run(v) {
      const store = await openMigrated(String(v.store), registryFile(String(v.config)))
      await store.close()
      console.log(`migrated ${v.store}`)
    },
  },

  prune: {
    usage: `quietcount prune [--store URL] [--config FILE]

Deletes the detail rows (whole tuples of a page view's attributes) older than each site's detail
window; a site no longer in --config keeps the default ${DEFAULT_DETAIL_DAYS} days. The marginal tier stays. A
running collector does this by itself every hour; prune is for stores no collector serves.`,
    options: { store: STORE, config: CONFIG },
    async run(v) {
      const registry = registryFile(String(v.config))
      const store = await openMigrated(String(v.store), registry)
      try {
        for (const { site, before, deleted } of await expireDetail(store, registry.read().sites)) {
          const timezone = registry.read().sites.find((s) => s.id === site)?.timezone ?? 'UTC'
          console.log(`${site}: detail before ${new Date(before * 3_600_000).toISOString().slice(0, 13)}:00 UTC (${timezone} days) deleted: ${deleted.toLocaleString('en')} rows`)
        }
      } finally {
        await store.close()
      }
    },
  },

  sites: {
    usage: `quietcount sites add ID [--origin https://example.org]... [--timezone Europe/Madrid] [--param page]... [--detail-days ${DEFAULT_DETAIL_DAYS}]
quietcount sites set ID [--origin URL]... [--timezone ZONE] [--param NAME]... [--detail-days N]
quietcount sites list
quietcount sites remove ID
  (all take --config FILE, default ./quietcount.json)

A site's origins are the only pages allowed to send its beacons (none given: any origin).
Its time zone decides where its days and months begin (default: this machine's).
--param keeps a query parameter in recorded paths, as the tracker's data-params does; any
other parameter a beacon carries is dropped (utm_* and ref are campaign fields anyway).
--detail-days is how long whole tuples of a page view's attributes are kept, today included,
for filtering by several dimensions at once: 0 (only per-dimension counts, the most private)
to ${MAX_DETAIL_DAYS} (25 months); default ${DEFAULT_DETAIL_DAYS}. Per-dimension counts are kept for ever.
set changes only the options it is given; --origin and --param replace the lists.`,
    options: {
      config: CONFIG,
      origin: { type: 'string', multiple: true },
      timezone: { type: 'string' },
      param: { type: 'string', multiple: true },
      'detail-days': { type: 'string' },
    },
    async run(v, [action, id]) {
      const registry = registryFile(String(v.config))
      const current = registry.read()
      if (action === 'list') {
        for (const s of current.sites) {
          console.log(`${s.id}\t${s.timezone}\t${s.origins.join(' ') || '(any origin)'}\t${s.shares.length} share link(s)\tdetail ${detailDaysOf(s)} days`)
        }
        if (!current.sites.length) console.log('no sites yet: quietcount sites add example.org --origin https://example.org')
        return
      }
      if (!id) throw new UsageError(`sites ${action ?? ''} needs a site id`)
      const detailDays = v['detail-days'] === undefined ? undefined : Number(v['detail-days'])
      if (detailDays !== undefined && !/^\d+$/.test(String(v['detail-days'])))
        throw new UsageError(`--detail-days must be a whole number of days from 0 to ${MAX_DETAIL_DAYS} (got ${JSON.stringify(v['detail-days'])})`)
      const given: Partial<Site> = {
        ...(v.origin !== undefined && { origins: v.origin as string[] }),
        ...(v.timezone !== undefined && { timezone: v.timezone as string }),
        ...(v.param !== undefined && { params: v.param as string[] }),
        ...(detailDays !== undefined && { detailDays }),
      }
      const existing = current.sites.find((s) => s.id === id)
      if (action === 'add' || action === 'set') {
        if (action === 'add' && existing) throw new UsageError(`site ${JSON.stringify(id)} exists already (change it with: quietcount sites set ${id} …)`)
        if (action === 'set' && !existing) throw new UsageError(`no site ${JSON.stringify(id)} (see quietcount sites list)`)
        if (action === 'set' && !Object.keys(given).length) throw new UsageError('sites set needs at least one of --origin, --timezone, --param, --detail-days')
        const site: Site = { ...(existing ?? { id, origins: [], timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', params: [], shares: [] }), ...given }
        const problem = siteProblem(site)
        if (problem) throw new UsageError(problem)
        registry.write({ ...current, sites: existing ? current.sites.map((s) => (s === existing ? site : s)) : [...current.sites, site] })
        if (action === 'add') console.log(`added ${id} (${site.timezone}, detail ${detailDaysOf(site)} days); next: quietcount tokens create --site ${id}`)
        else console.log(`changed ${id}: ${Object.keys(given).join(', ')}`)
        if (existing && given.timezone && given.timezone !== existing.timezone) {
          console.log(
            `note: days and months are counted in ${given.timezone} from now on. Totals and detail are kept per UTC hour and follow the new zone at any range; ` +
              `per-dimension counts of past days stay in the days of ${existing.timezone} (see docs/architecture.md, "Two tiers").`,
          )
        }
        if (existing && given.detailDays !== undefined && given.detailDays > detailDaysOf(existing)) {
          console.log('note: a longer window keeps detail from now on; detail already deleted does not come back.')
        }
      } else if (action === 'remove') {
        if (!existing) throw new UsageError(`no site ${JSON.stringify(id)} (see quietcount sites list)`)
        registry.write({ sites: current.sites.filter((s) => s.id !== id), tokens: current.tokens.filter((t) => t.site !== id) })
        console.log(`removed ${id} and its tokens; its stored counts stay in the store (its detail expires after ${DEFAULT_DETAIL_DAYS} days)`)
      } else throw new UsageError(`sites takes add, set, list or remove (got ${JSON.stringify(action)})`)
    },
  },

  tokens: {
    usage: `quietcount tokens create --site ID | --admin
quietcount tokens revoke TOKEN
quietcount tokens list
  (all take --config FILE)

A read token lets GET /api/stats read one site; the admin token reads every site. Only a hash
is stored: the token is shown once, when created.`,
    options: { config: CONFIG, site: { type: 'string' }, admin: { type: 'boolean' } },
    async run(v, [action, token]) {
      const registry = registryFile(String(v.config))
      const current = registry.read()
      if (action === 'create') {
        const site = v.admin ? '*' : (v.site as string | undefined)
        if (!site || (v.admin && v.site)) throw new UsageError('tokens create needs exactly one of --site ID or --admin')
        if (site !== '*' && !current.sites.some((s) => s.id === site)) throw new UsageError(`no site ${JSON.stringify(site)} (see quietcount sites list)`)
        const secret = newSecret()
        registry.write({ ...current, tokens: [...current.tokens, { hash: hashToken(secret), site, created: new Date().toISOString() }] })
        console.log(secret)
      } else if (action === 'revoke') {
        if (!token) throw new UsageError('tokens revoke needs the token')
        const hash = hashToken(token)
        if (!current.tokens.some((t) => t.hash === hash)) throw new UsageError('no such token')
        registry.write({ ...current, tokens: current.tokens.filter((t) => t.hash !== hash) })
        console.log('revoked')
      } else if (action === 'list') {
        for (const t of current.tokens) console.log(`${t.hash.slice(0, 12)}…\t${t.site === '*' ? '(admin)' : t.site}\t${t.created}`)
      } else throw new UsageError(`tokens takes create, revoke or list (got ${JSON.stringify(action)})`)
    },
  },

  share: {
    usage: `quietcount share create SITE [--k 5]
quietcount share list SITE
quietcount share revoke SITE LINK
  (all take --config FILE)

A share link shows a site's stats read-only, without a token, at /api/share/LINK; rows counted
for fewer than k visitors are folded into "(other)".`,
    options: { config: CONFIG, k: { type: 'string', default: '5' } },
    async run(v, [action, id, link]) {
      const registry = registryFile(String(v.config))
      const current = registry.read()
      const site = current.sites.find((s) => s.id === id)
      if (!site) throw new UsageError(`no site ${JSON.stringify(id ?? '')} (see quietcount sites list)`)
      const k = Number(v.k)
      if (action === 'create') {
        if (!/^\d+$/.test(String(v.k)) || k < 1 || k > 1000) throw new UsageError(`--k must be a whole number from 1 to 1000 (got ${JSON.stringify(v.k)})`)
        const share = { id: newSecret(), k }
        registry.write({ ...current, sites: current.sites.map((s) => (s === site ? { ...s, shares: [...s.shares, share] } : s)) })
        console.log(`/api/share/${share.id}`)
      } else if (action === 'list') {
        for (const s of site.shares) console.log(`/api/share/${s.id}\tk=${s.k}`)
      } else if (action === 'revoke') {
        if (!site.shares.some((s) => s.id === link)) throw new UsageError(`no share link ${JSON.stringify(link ?? '')} for ${site.id}`)
        registry.write({ ...current, sites: current.sites.map((s) => (s === site ? { ...s, shares: s.shares.filter((x) => x.id !== link) } : s)) })
        console.log('revoked')
      } else throw new UsageError(`share takes create, list or revoke (got ${JSON.stringify(action)})`)
    },
  },

  report: {
    usage: `quietcount report --site ID [--period 30d] [--from YYYY-MM-DD --to YYYY-MM-DD] [--interval day]
                  [--include metrics,timeseries] [--breakdown page,referrer]... [--filter dimension:value]...
                  [--compare] [--limit 50] [--k 0] [--format table|json|csv] [--store URL] [--config FILE]

The stats of a site, as the API and the dashboard compute them.
  --period     today, yesterday, 7d, 30d (default), month, last-month, 12mo, custom
  --include    metrics, timeseries (both by default), or none: only the breakdowns
  --breakdown  one or more, comma-separated or repeated: ${BREAKDOWN_NAMES.join(', ')}
  --filter     dimension:value, repeatable; dimensions ${FILTERS.join(', ')}
  --compare    add the previous period of the same length
  --format     table (default): metrics, then each breakdown; json: the whole result;
               csv: the rows of one breakdown (or the time series without --breakdown)
Without a filter or with one, totals and breakdowns of that dimension come from per-dimension
counts, kept for ever; any other breakdown under a filter needs the site's detail window
(sites set --detail-days), and says so outside it.`,
    options: {
      site: { type: 'string' },
      period: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      interval: { type: 'string' },
      include: { type: 'string' },
      breakdown: { type: 'string', multiple: true },
      filter: { type: 'string', multiple: true },
      compare: { type: 'boolean' },
      limit: { type: 'string' },
      k: { type: 'string' },
      format: { type: 'string', default: 'table' },
      store: STORE,
      config: CONFIG,
    },
    async run(v) {
      if (!v.site) throw new UsageError('report needs --site ID (see quietcount sites list)')
      const format = String(v.format)
      if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv (got ${JSON.stringify(format)})`)
      const registry = registryFile(String(v.config))
      const site = registry.read().sites.find((s) => s.id === v.site)
      if (!site) throw new UsageError(`no site ${JSON.stringify(v.site)} in ${v.config} (see quietcount sites list)`)
      const params = new URLSearchParams()
      for (const key of ['period', 'from', 'to', 'interval', 'include', 'limit', 'k']) if (v[key] !== undefined) params.set(key, String(v[key]))
      for (const breakdown of (v.breakdown as string[] | undefined) ?? []) params.append('breakdown', breakdown)
      for (const filter of (v.filter as string[] | undefined) ?? []) params.append('filter', filter)
      if (v.compare) params.set('compare', 'previous')
      const parsed = parseStatsQuery(params, site)
      if (!parsed.ok) throw new UsageError(`--${parsed.error.message}`)
      if (format === 'csv' && parsed.query.breakdowns.length > 1)
        throw new UsageError(`--format csv writes one breakdown (got ${parsed.query.breakdowns.join(', ')}); use json for several`)
      const store = await openMigrated(String(v.store), registry)
      try {
        const refused = await refuseUnderK(store, parsed.query)
        if (refused) throw new UsageError(`--${refused.message}`)
        const result: StatsResult = await runStats(store, parsed.query)
        process.stdout.write(formatReport(result, format as 'table' | 'json' | 'csv'))
      } finally {
        await store.close()
      }
    },
  },
}

/** The example site and the built scripts, served next to the collector for `npm start`. */
function mountExamples(app: Hono) {
  const examples = join(packageRoot, 'examples')
  const dist = join(packageRoot, 'dist')
  if (!existsSync(join(dist, 'quietcount-tracker.js'))) throw new Error(`${dist} has no build: run "npm run build" first`)
  const PAGES: Record<string, string> = { '/example': 'index.html', '/join': 'join.html', '/files/report.pdf': 'report.pdf' }
  const TYPES: Record<string, string> = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript',
    mjs: 'text/javascript',
    css: 'text/css',
    map: 'application/json',
    pdf: 'application/pdf',
  }
  app.get('*', async (c) => {
    const path = new URL(c.req.url).pathname
    const file = path.startsWith('/dist/')
      ? join(dist, path.slice(6))
      : path.startsWith('/node_modules/js-cookie/')
        ? join(packageRoot, path)
        : join(examples, PAGES[path] ?? (path.startsWith('/app/') ? 'spa.html' : path.slice(1)))
    const { readFile } = await import('node:fs/promises')
    const inside = [examples, dist, join(packageRoot, 'node_modules/js-cookie')].some((root) => file.startsWith(`${root}/`))
    try {
      if (!inside) throw new Error('outside')
      return c.body(await readFile(file), 200, { 'content-type': TYPES[file.split('.').pop()!] ?? 'application/octet-stream' })
    } catch {
      return c.body(await readFile(join(examples, '404.html')), 404, { 'content-type': TYPES.html! })
    }
  })
}

/** Opens a store and brings its schema up to date, with the sites' time zones for an upgrade that needs them. */
async function openMigrated(url: string, registry: ReturnType<typeof registryFile>): Promise<Store> {
  const store = await openStore(url)
  try {
    await store.migrate({ timezoneOf: (id) => registry.read().sites.find((s) => s.id === id)?.timezone ?? 'UTC' })
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  return store
}

const hasDemoData = async (store: Store) => {
  const [[totals]] = (await store.query([{ site: DEMO_SITES[0]!.id, parts: [{ table: 'totals', from: 0, to: 2 ** 31 }] }])) as [Record<string, number>[]]
  return Number(totals?.views ?? 0) > 0
}

/** Registers the demo sites (when missing), writes their traffic (a progress bar on a terminal), then expires their detail as a collector would. */
async function seedDemoSites(store: Store, registry: ReturnType<typeof registryFile>, options: { seed?: number; days?: number }) {
  const current = registry.read()
  const missing = DEMO_SITES.filter((demo) => !current.sites.some((s) => s.id === demo.id)).map(({ id, origins, timezone, shares }) => ({ id, origins, timezone, shares }))
  registry.write({ ...current, sites: [...current.sites, ...missing] })
  const pageviews = await seedDemo(store, { ...options, progress: progressBar(process.stderr, 'demo data') })
  await expireDetail(store, registry.read().sites)
  return pageviews
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const command = name ? COMMANDS[name] : undefined
  if (!command || name === '--help' || name === '-h') {
    console.log(
      `quietcount COMMAND [--help]\n\ncommands: ${Object.keys(COMMANDS).join(', ')}\n\n` +
        Object.values(COMMANDS)
          .map((c) => c.usage.split('\n')[0])
          .join('\n'),
    )
    return name && name !== '--help' && name !== '-h' ? (console.error(`\nunknown command ${JSON.stringify(name)}`), 2) : 0
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, help: HELP }, allowPositionals: true, strict: true })
    if (values.help) {
      console.log(command.usage)
      return 0
    }
    await command.run(values, positionals)
    return 0
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    console.error(`quietcount ${name}: ${(error as Error).message}`)
    if (usage) console.error(`\n${command.usage}`)
    return usage ? 2 : 1
  }
}

const code = await main(process.argv.slice(2))
if (code) process.exitCode = code
