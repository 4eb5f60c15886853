import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../src/collector/stores/open.js'
import { type Server, startClickHouse, startPostgres } from '../test/services/setup.js'
import { measureIngest } from './ingest.js'
import { machine, round } from './machine.js'
import { measurePageCost } from './page-cost.js'
import { SCALES, seedAggregates, timeDashboard } from './query.js'
import { measureSizes } from './size.js'
import { settle, storeBytes, trafficRows, writeRows } from './storage.js'

/**
 * `npm run bench` (about 10 minutes) and `npm run bench -- --quick` (under 2): every benchmark in
 * one run, printed as it goes and written to bench/RESULTS.md and bench/results.json. Figures are
 * compared as ratios measured in this same run; nothing here fails on a timing.
 */

// `-- --markdown`: rewrite bench/RESULTS.md from bench/results.json, after a change to its wording.
if (process.argv.includes('--markdown')) {
  writeFileSync('bench/RESULTS.md', markdown(JSON.parse(readFileSync('bench/results.json', 'utf8'))))
  process.exit(0)
}

const quick = process.argv.includes('--quick')
const plan = quick
  ? { loads: 3, ingestSeconds: 3, connections: 400, queryHours: { '1 M page views/month': 24 * 31, '100 M page views/month': 24 * 31 }, queryRuns: 2, storage: [100_000, 1_000_000] }
  : { loads: 20, ingestSeconds: 10, connections: 400, queryHours: { '1 M page views/month': 24 * 366, '100 M page views/month': 24 * 366 }, queryRuns: 3, storage: [1_000_000, 10_000_000] }
const log = (line: string) => console.log(`[bench] ${line}`)
const startedAt = machine()
const t0 = Date.now()
log(`${quick ? 'quick' : 'full'} run on ${startedAt.cpu}, ${startedAt.cores} cores, ${startedAt.memoryGiB} GiB, Node ${startedAt.node}, load ${startedAt.load.join(' ')}`)

const dir = mkdtempSync(join(tmpdir(), 'quietcount-bench-'))
const servers: Record<string, Server | string> = {}
for (const [name, start] of [['postgres', startPostgres], ['clickhouse', startClickHouse]] as const) {
  servers[name] = await start().catch((error: Error) => error.message)
  log(`${name}: ${typeof servers[name] == 'string' ? `NOT RUN: ${servers[name]}` : (servers[name] as Server).version}`)
}
const storeUrls: Record<string, string> = { sqlite: 'sqlite:{dir}/bench.db' }
for (const name of ['postgres', 'clickhouse']) if (typeof servers[name] != 'string') storeUrls[name] = (servers[name] as Server).url
let databases = 0
const fresh = (kind: string) => storeUrls[kind]!.replace('{dir}', mkdtempSync(join(dir, `${kind}-`))).replace('{db}', `qc_bench_${databases++}`)

try {
  const sizes = await measureSizes()
  for (const r of sizes.rows) log(`size ${r.name}: ${r.gzip} B gzip, ${r.brotli} B brotli`)

  const pages = await measurePageCost(plan.loads, sizes.plausible)
  for (const p of pages) log(`page ${p.variant}: script ${p.scriptMs} ms, long tasks ${p.longTaskMs} ms, banner ${p.bannerMs ?? '-'} ms, ${p.bytes} B`)

  const ingest = await measureIngest(storeUrls, plan.ingestSeconds, plan.connections)
  for (const r of ingest) log(`ingest ${r.target}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.stored === undefined ? '' : `, stored ${r.stored} of ${r.sent} sent (${r.acknowledged} acknowledged before the end): ${r.exact ? 'exact' : 'MISMATCH'}`}`)

  const queries: { store: string; scale: string; rows: number; seedSeconds: number; ms30d: number; ms12mo: number }[] = []
  for (const kind of Object.keys(storeUrls)) {
    const url = fresh(kind)
    const store = await openStore(url)
    await store.migrate()
    try {
      for (const [scale, settings] of Object.entries(SCALES)) {
        const seeded = Date.now()
        const rows = await seedAggregates(store, settings, plan.queryHours[scale as keyof typeof SCALES])
        const seedSeconds = round((Date.now() - seeded) / 1000, 1)
        await settle(kind as 'sqlite' | 'postgres' | 'clickhouse', url)
        const row = { store: kind, scale, rows, seedSeconds, ms30d: await timeDashboard(store, settings.site, '30d', plan.queryRuns), ms12mo: await timeDashboard(store, settings.site, '12mo', plan.queryRuns) }
        queries.push(row)
        log(`query ${kind} ${scale} (${rows} rows, seeded in ${seedSeconds} s): dashboard 30 days ${row.ms30d} ms, 12 months ${row.ms12mo} ms`)
      }
    } finally {
      await store.close()
    }
  }

  const storage: { store: string; pageviews: number; rows: number; bytes: number }[] = []
  for (const pageviews of plan.storage) {
    const rows = trafficRows(pageviews)
    for (const kind of Object.keys(storeUrls)) {
      const url = fresh(kind)
      const store = await openStore(url)
      await store.migrate()
      await writeRows(store, rows)
      await store.close()
      const bytes = await storeBytes(kind as 'sqlite' | 'postgres' | 'clickhouse', url)
      storage.push({ store: kind, pageviews, rows: rows.length, bytes })
      log(`storage ${kind} after ${pageviews} page views: ${rows.length} rows, ${bytes} B`)
    }
  }

  const finishedAt = machine()
  const results = { quick, startedAt, finishedAt, seconds: Math.round((Date.now() - t0) / 1000), servers: Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, typeof v == 'string' ? { missing: v } : { version: v.version }])), sizes: sizes.rows, pages, ingest, queries, storage }
  writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n')
  writeFileSync('bench/RESULTS.md', markdown(results))
  log(`done in ${results.seconds} s: bench/RESULTS.md, bench/results.json`)
} finally {
  for (const server of Object.values(servers)) if (typeof server != 'string') await server.stop()
  rmSync(dir, { recursive: true, force: true })
}

function markdown(r: {
  quick: boolean; startedAt: ReturnType<typeof machine>; finishedAt: ReturnType<typeof machine>; seconds: number; servers: Record<string, { version?: string; missing?: string }>
  sizes: Awaited<ReturnType<typeof measureSizes>>['rows']; pages: Awaited<ReturnType<typeof measurePageCost>>; ingest: Awaited<ReturnType<typeof measureIngest>>
  queries: { store: string; scale: string; rows: number; seedSeconds: number; ms30d: number; ms12mo: number }[]; storage: { store: string; pageviews: number; rows: number; bytes: number }[]
}) {
  const x = (a: number, b: number) => (b ? `${round(a / b, 2)}×` : '–')
  const n = (v: number) => v.toLocaleString('en')
  const size = (name: string) => r.sizes.find((s) => s.name == name)!
  const page = (variant: string) => r.pages.find((p) => p.variant == variant)!
  const empty = page('empty')
  const ceiling = r.ingest[0]!
  const lines = [
    '# Benchmarks',
    '',
    `${r.quick ? 'Quick' : 'Full'} run of \`npm run bench${r.quick ? ' -- --quick' : ''}\`, ${r.startedAt.date} (${r.seconds} s), on ${r.startedAt.cpu}, ${r.startedAt.cores} cores, ${r.startedAt.memoryGiB} GiB, Node ${r.startedAt.node}.`,
    `Load average at start ${r.startedAt.load.join(' ')}, at the end ${r.finishedAt.load.join(' ')} (other work on the machine shows here). Stores: SQLite (better-sqlite3), ${Object.entries(r.servers).map(([k, v]) => (v.version ?? `${k} NOT RUN: ${v.missing}`)).join(', ')}.`,
    'Absolute times drift on a shared machine; the ratios, measured side by side in this run, are the result.',
    '',
    '## 1. Bundle size',
    '',
    '| what a site ships | gzip | brotli | files |',
    '|---|---|---|---|',
    ...r.sizes.map((s) => `| ${s.name} | ${n(s.gzip)} B | ${n(s.brotli)} B | ${s.files} |`),
    '',
    `QuietCount tracker vs Plausible tracker: ${x(size('QuietCount tracker').gzip, size('Plausible tracker').gzip)} (gzip). ` +
      `QuietCount with its consent manager vs Plausible + vanilla-cookieconsent: ${x(size('QuietCount tracker + consent (one file)').gzip, size('Plausible + vanilla-cookieconsent').gzip)}; vs Plausible + klaro: ${x(size('QuietCount tracker + consent (one file)').gzip, size('Plausible + klaro').gzip)}.`,
    '',
    '## 2. Page cost in Chromium',
    '',
    `Median of ${empty.loads} loads each, interleaved, each in a fresh context. Script: Chrome's ScriptDuration; long tasks: sum of 'longtask' entries; banner: first frame with the banner visible; bytes: all responses, encoded.`,
    '',
    '| page | script ms | added script ms | long tasks ms | banner visible ms | bytes | added bytes |',
    '|---|---|---|---|---|---|---|',
    ...r.pages.map((p) => `| ${p.variant} | ${p.scriptMs} | ${round(p.scriptMs - empty.scriptMs)} | ${p.longTaskMs} | ${p.bannerMs ?? '–'} | ${n(p.bytes)} | ${n(p.bytes - empty.bytes)} |`),
    '',
    ...['plausible+cookieconsent', 'klaro'].map((peer) => {
      const q = page('quietcount')
      const o = page(peer)
      // The empty page runs no script, so its script time is no base for a ratio.
      const script = empty.scriptMs ? `script ${x(q.scriptMs, empty.scriptMs)} (QuietCount) and ${x(o.scriptMs, empty.scriptMs)} (${peer}), ` : ''
      return `QuietCount vs ${peer}: added script time ${x(q.scriptMs - empty.scriptMs, o.scriptMs - empty.scriptMs)}, banner visible ${x(q.bannerMs ?? 0, o.bannerMs ?? 0)}, added bytes ${x(q.bytes - empty.bytes, o.bytes - empty.bytes)}; whole page vs the empty page: ${script}bytes ${x(q.bytes, empty.bytes)} (QuietCount) and ${x(o.bytes, empty.bytes)} (${peer}).`
    }),
    '',
    '## 3. Collector ingest',
    '',
    `autocannon in its own process, ${r.quick ? 3 : 10} s per target, 400 connections (visitors send from many connections at once), 20 realistic one-page-view beacons in turn. The collector's rate limit is off (\`serve --rate-limit 0\`); each acknowledgement waits for its group commit (50 ms at most), so throughput at a fixed number of connections is bounded by that wait.`,
    '',
    '| target | req/s | of ceiling | p50 ms | p97.5 ms | p99 ms | sent | acknowledged in the run | refused | stored page views | exact |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.ingest.map((i) => `| ${i.target} | ${n(i.rps)} | ${x(i.rps, ceiling.rps)} | ${i.p50} | ${i.p97_5} | ${i.p99} | ${n(i.sent)} | ${n(i.acknowledged)} | ${n(i.refused)} | ${i.stored === undefined ? '–' : n(i.stored)} | ${i.exact === undefined ? '–' : i.exact ? 'yes' : '**no**'} |`),
    '',
    '## 4. Query latency',
    '',
    `One dashboard view = the top line with the previous period and the time series, then eight breakdowns (page, entry page, referrer, source, country, browser, OS, device), run one after another through the stats model; median of ${r.quick ? 2 : 3} views after a warm-up. Aggregates are seeded per hour: rows per hour stand for distinct tuples, their counts for the traffic. After seeding, PostgreSQL is vacuumed and analysed and ClickHouse's parts are merged, as their housekeeping leaves a running site's database.`,
    '',
    '| store | traffic | rows stored (12 months) | seeded in | dashboard, 30 days | dashboard, 12 months |',
    '|---|---|---|---|---|---|',
    ...r.queries.map((q) => `| ${q.store} | ${q.scale} | ${n(q.rows)} | ${q.seedSeconds} s | ${q.ms30d} ms | ${q.ms12mo} ms |`),
    '',
    '## 5. Storage growth',
    '',
    'One day of traffic with the same 40 paths, 5 referrers, 5 time zones and 4 browsers, at two volumes, through beaconRows and the group-commit merge, in process.',
    '',
    '| store | page views | rows | bytes on disk | bytes per 1,000 page views |',
    '|---|---|---|---|---|',
    ...r.storage.map((s) => `| ${s.store} | ${n(s.pageviews)} | ${n(s.rows)} | ${n(s.bytes)} | ${round((s.bytes / s.pageviews) * 1000, 1)} |`),
    '',
    ...[...new Set(r.storage.map((s) => s.store))].map((store) => {
      const [small, large] = r.storage.filter((s) => s.store == store)
      return `${store}: ${x(large!.pageviews, small!.pageviews)} the traffic takes ${x(large!.bytes, small!.bytes)} the bytes (${n(small!.rows)} and ${n(large!.rows)} rows).`
    }),
    '',
  ]
  return lines.join('\n')
}
