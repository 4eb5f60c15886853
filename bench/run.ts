import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../src/collector/stores/open.js'
import type { Store } from '../src/collector/stores/store.js'
import { type Server, startClickHouse, startPostgres } from '../test/services/setup.js'
import { type DashboardLoad, measureDashboardLoad } from './dashboard-load.js'
import { type ImportBench, importMarkdown, measureImports } from './import.js'
import { type IngestRow, measureIngest } from './ingest.js'
import { machine, round } from './machine.js'
import { measurePageCost, type PageCost } from './page-cost.js'
import { PAGES, SCALES, type Scale, type Seeded, seedYear, timeView, viewRequests } from './query.js'
import { measureResponsiveness, type Responsiveness } from './responsiveness.js'
import { measureSizes } from './size.js'
import { type StoreKind, type TierSizes, tierSizes } from './storage.js'

/**
 * `npm run bench` (about 10 minutes) and `npm run bench -- --quick` (under 2): every benchmark in
 * one run, printed as it goes and written to bench/RESULTS.md and bench/results.json. Figures are
 * compared as ratios measured in this same run; nothing here fails on a timing.
 * `-- --only import`, `-- --only ingest` or `-- --only page` (or several, comma-separated) runs
 * those sections alone (with their servers) and puts their figures into the last run's
 * results.json and RESULTS.md, leaving the other sections as they were.
 */

const quick = process.argv.includes('--quick')
/** Sections that can run alone: the others feed one another (storage and responsiveness need the query stores). `page` also measures the sizes, whose Plausible bundle it loads. */
const ALONE = ['import', 'ingest', 'page']
const only = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : undefined
if (only && (!only.length || only.some((section) => !ALONE.includes(section)))) {
  console.error(`[bench] --only takes a section that runs alone: ${ALONE.join(', ')} (given: ${only.join(',') || 'none'})`)
  process.exit(2)
}
// Quick: SQLite alone, a year whose last week only goes through ingest (the rest drawn), and an import of a tenth of the traffic.
const plan = quick
  ? {
      loads: 3,
      ingestSeconds: 3,
      connections: 400,
      queryRuns: 2,
      days: 365,
      ingestedDays: 7,
      filteredRange: 'period=7d',
      dashboardLoads: 3,
      beacons: 15,
      importPerMonth: 100_000,
      stores: ['sqlite'],
    }
  : {
      loads: 20,
      ingestSeconds: 10,
      connections: 400,
      queryRuns: 5,
      days: 365,
      ingestedDays: 62,
      filteredRange: 'period=30d',
      dashboardLoads: 10,
      beacons: 40,
      importPerMonth: 1_000_000,
      stores: ['sqlite', 'postgres', 'clickhouse'],
    }

/**
 * Today's figures, as the issue quotes them (bench/RESULTS.md of 2026-12-01, commit 469e2e9: a
 * view was the top line and 8 breakdowns asked one after another, on data of 40 paths, 10
 * referrers and 6 browsers). Quoted for the side-by-side table, never measured here.
 */
const BEFORE: Record<string, string> = {
  'sqlite 1 M page views/month 12mo': '7,756 ms',
  'sqlite 100 M page views/month 12mo': '29,008 ms',
  'postgres 1 M page views/month 12mo': '3,686 ms',
  'postgres 100 M page views/month 12mo': '13,863 ms',
  'clickhouse 1 M page views/month 12mo': '1,193 ms',
  'clickhouse 100 M page views/month 12mo': '2,760 ms',
  'sqlite 1 M page views/month 30d': '584 ms',
  'sqlite 100 M page views/month 30d': '2,515 ms',
  'postgres 1 M page views/month 30d': '450 ms',
  'postgres 100 M page views/month 30d': '5,773 ms',
  'clickhouse 1 M page views/month 30d': '176 ms',
  'clickhouse 100 M page views/month 30d': '370 ms',
  'dashboard 12mo': '5,200 ms',
}
/** The targets of issue 11, per view. */
const TARGETS: Record<string, number> = {
  'sqlite 1 M page views/month 12mo': 100,
  'sqlite 100 M page views/month 12mo': 150,
  'postgres 1 M page views/month 12mo': 150,
  'postgres 100 M page views/month 12mo': 150,
  'clickhouse 1 M page views/month 12mo': 150,
  'clickhouse 100 M page views/month 12mo': 150,
  'sqlite 1 M page views/month filtered': 500,
  'dashboard 12mo': 300,
}
// `-- --markdown`: rewrite bench/RESULTS.md from bench/results.json, after a change to its wording.
if (process.argv.includes('--markdown')) {
  writeFileSync('bench/RESULTS.md', markdown(JSON.parse(readFileSync('bench/results.json', 'utf8'))))
  process.exit(0)
}

const log = (line: string) => console.log(`[bench] ${line}`)
const startedAt = machine()
const t0 = Date.now()
log(
  `${quick ? 'quick' : 'full'}${only ? ` --only ${only.join(',')}` : ''} run on ${startedAt.cpu}, ${startedAt.cores} cores, ${startedAt.memoryGiB} GiB, Node ${startedAt.node}, load ${startedAt.load.join(' ')}`,
)

const dir = mkdtempSync(join(tmpdir(), 'quietcount-bench-'))
const servers: Record<string, Server | string> = {}
for (const [name, start] of [
  ['postgres', startPostgres],
  ['clickhouse', startClickHouse],
] as const) {
  servers[name] = await start().catch((error: Error) => error.message)
  log(`${name}: ${typeof servers[name] === 'string' ? `NOT RUN: ${servers[name]}` : (servers[name] as Server).version}`)
}
const storeUrls: Record<string, string> = { sqlite: 'sqlite:{dir}/bench.db' }
for (const name of ['postgres', 'clickhouse']) if (typeof servers[name] !== 'string') storeUrls[name] = (servers[name] as Server).url
let databases = 0
const fresh = (kind: string) => storeUrls[kind]!.replace('{dir}', mkdtempSync(join(dir, `${kind}-`))).replace('{db}', `qc_bench_${databases++}`)
const kinds = Object.keys(storeUrls).filter((k) => plan.stores.includes(k)) as StoreKind[]
/** Issue 14: a year of a 1 M page views a month site, imported, then "Last 12 months" of it within the query targets of section 4. */
const importSection = () =>
  measureImports(
    dir,
    kinds,
    fresh,
    { perMonth: plan.importPerMonth, days: plan.days, runs: plan.queryRuns, quick },
    (kind) => (plan.importPerMonth === 1_000_000 ? TARGETS[`${kind} 1 M page views/month 12mo`] : undefined),
    log,
  )

if (only) {
  try {
    const measured: { imports?: ImportBench; ingest?: IngestRow[]; ingestAt?: string; sizes?: Awaited<ReturnType<typeof measureSizes>>['rows']; pages?: PageCost[] } = {}
    if (only.includes('page')) {
      const sizes = await measureSizes()
      measured.sizes = sizes.rows
      measured.pages = await measurePageCost(plan.loads, sizes.plausible)
      for (const p of measured.pages) log(`page ${p.variant}: script ${p.scriptMs} ms, long tasks ${p.longTaskMs} ms, banner ${p.bannerMs ?? '-'} ms, ${p.bytes} B`)
    }
    if (only.includes('ingest')) {
      measured.ingest = await measureIngest(storeUrls, plan.ingestSeconds, plan.connections)
      measured.ingestAt = new Date().toISOString()
      for (const r of measured.ingest)
        log(
          `ingest ${r.target}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.stored === undefined ? '' : `, stored ${r.stored} of ${r.sent} sent (${r.acknowledged} acknowledged)`}`,
        )
    }
    if (only.includes('import')) measured.imports = await importSection()
    // The other sections stay as the last run measured them: only these figures are replaced.
    if (existsSync('bench/results.json')) {
      const results = { ...JSON.parse(readFileSync('bench/results.json', 'utf8')), ...measured }
      writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`)
      writeFileSync('bench/RESULTS.md', markdown(results))
      log(`done in ${Math.round((Date.now() - t0) / 1000)} s: ${only.join(', ')} in bench/RESULTS.md and bench/results.json`)
    } else log('no bench/results.json to add the sections to: run the whole bench once (figures above)')
  } finally {
    for (const server of Object.values(servers)) if (typeof server !== 'string') await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  process.exit(0)
}

try {
  const sizes = await measureSizes()
  for (const r of sizes.rows) log(`size ${r.name}: ${r.gzip} B gzip, ${r.brotli} B brotli`)

  const pages = await measurePageCost(plan.loads, sizes.plausible)
  for (const p of pages) log(`page ${p.variant}: script ${p.scriptMs} ms, long tasks ${p.longTaskMs} ms, banner ${p.bannerMs ?? '-'} ms, ${p.bytes} B`)

  const ingest = await measureIngest(storeUrls, plan.ingestSeconds, plan.connections)
  for (const r of ingest)
    log(
      `ingest ${r.target}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.stored === undefined ? '' : `, stored ${r.stored} of ${r.sent} sent (${r.acknowledged} acknowledged before the end): ${r.kept ? 'acknowledged ≤ stored ≤ sent' : 'MISMATCH'}`}`,
    )

  // Every store of a kind gets the same rows: the traffic is made once per scale and written to all.
  const opened: { kind: StoreKind; scale: Scale; months: 1 | 12; url: string; store: Store }[] = []
  const open = async (kind: StoreKind, scale: Scale, months: 1 | 12) => {
    const url = fresh(kind)
    const store = await openStore(url)
    await store.migrate()
    opened.push({ kind, scale, months, url, store })
    return store
  }
  const seeded: Record<string, Seeded> = {}
  const queries: { store: string; scale: string; view: string; ms: number; unavailable: number }[] = []
  const storage: { store: string; scale: string; months: number; sizes: TierSizes }[] = []
  let responsiveness: Responsiveness | undefined
  try {
    for (const scale of Object.keys(SCALES) as Scale[]) {
      const year = await Promise.all(kinds.map((kind) => open(kind, scale, 12)))
      // A site one month old: the year's last 30 days, as ingest wrote them.
      const month = await Promise.all(kinds.map((kind) => open(kind, scale, 1)))
      const detailDays = SCALES[scale].detail ? plan.ingestedDays : 0
      seeded[scale] = await seedYear(year, scale, plan.days, detailDays, async (index, rows) => {
        if (index >= plan.days - 30) for (const store of month) await store.write(rows)
      })
      log(
        `seeded ${scale}: ${seeded[scale]!.pageviews.toLocaleString('en')} page views, ${seeded[scale]!.ingestedDays} days through ingest, ${seeded[scale]!.drawnDays} drawn, ${seeded[scale]!.rows.toLocaleString('en')} rows, ${seeded[scale]!.seconds} s`,
      )
    }
    for (const { kind, scale, months, url } of opened) {
      const sizes = await tierSizes(kind, url) // settles the store too, before its queries
      storage.push({ store: kind, scale, months, sizes })
      log(
        `storage ${kind} ${scale} after ${months} month(s): detail ${sizes.detail.rows} rows ${sizes.detail.bytes} B, marginal ${sizes.marginal.rows} rows ${sizes.marginal.bytes} B`,
      )
    }
    for (const { kind, scale, store } of opened.filter((o) => o.months === 12)) {
      const views: [string, string][] = [
        ['12 months', 'period=12mo'],
        ['30 days', 'period=30d'],
      ]
      if (SCALES[scale].detail)
        views.push(
          [`${plan.filteredRange.slice(7)}, filtered by the top page`, `${plan.filteredRange}&filter=path:${PAGES.top}`],
          [`${plan.filteredRange.slice(7)}, filtered by the 20th page`, `${plan.filteredRange}&filter=path:${PAGES.typical}`],
        )
      for (const [view, range] of views) {
        const timed = await timeView(store, scale, range, plan.queryRuns)
        queries.push({ store: kind, scale, view, ...timed })
        log(`query ${kind} ${scale} ${view}: ${timed.ms} ms${timed.unavailable ? ` (${timed.unavailable} parts unavailable)` : ''}`)
      }
    }
  } finally {
    for (const { store } of opened) await store.close()
  }
  // The import needs every store kind too: before the servers stop.
  const imports = await importSection()
  // What follows runs on SQLite alone: the servers' background merges would only add noise.
  for (const server of Object.values(servers)) if (typeof server !== 'string') await server.stop()
  const sqliteYear = opened.find((o) => o.kind === 'sqlite' && o.months === 12 && SCALES[o.scale].detail)
  if (sqliteYear) {
    responsiveness = await measureResponsiveness(sqliteYear.url, dir, viewRequests(`${plan.filteredRange}&filter=path:${PAGES.top}`), plan.beacons)
    log(
      `beacons while views run (sqlite): idle p50 ${responsiveness.idle.p50} ms, during ${responsiveness.views} views (${responsiveness.viewMs} ms each) p50 ${responsiveness.busy.p50} ms, max ${responsiveness.busy.max} ms`,
    )
  }
  const dashboard = await measureDashboardLoad(mkdtempSync(join(dir, 'demo-')), ['12mo', '30d'], plan.dashboardLoads)
  for (const d of dashboard.rows) log(`dashboard in Chromium, ${d.period}: filled ${d.p50} ms after navigation (${d.min}–${d.max})`)

  const finishedAt = machine()
  const results = {
    quick,
    startedAt,
    finishedAt,
    seconds: Math.round((Date.now() - t0) / 1000),
    servers: Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, typeof v === 'string' ? { missing: v } : { version: v.version }])),
    sizes: sizes.rows,
    pages,
    ingest,
    seeded,
    queries,
    storage,
    responsiveness,
    dashboard,
    imports,
  }
  writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync('bench/RESULTS.md', markdown(results))
  log(`done in ${results.seconds} s: bench/RESULTS.md, bench/results.json`)
} finally {
  for (const server of Object.values(servers)) if (typeof server !== 'string') await server.stop()
  rmSync(dir, { recursive: true, force: true })
}

function markdown(r: {
  quick: boolean
  startedAt: ReturnType<typeof machine>
  finishedAt: ReturnType<typeof machine>
  seconds: number
  servers: Record<string, { version?: string; missing?: string }>
  sizes: Awaited<ReturnType<typeof measureSizes>>['rows']
  pages: Awaited<ReturnType<typeof measurePageCost>>
  ingest: Awaited<ReturnType<typeof measureIngest>>
  seeded: Record<string, Seeded>
  queries: { store: string; scale: string; view: string; ms: number; unavailable: number }[]
  storage: { store: string; scale: string; months: number; sizes: TierSizes }[]
  responsiveness?: Responsiveness
  dashboard: { pageviews: number; rows: DashboardLoad[] }
  /** Absent from results of runs before the section existed. */
  imports?: ImportBench
  /** When section 3 was measured on its own (`--only ingest`). */
  ingestAt?: string
}) {
  const x = (a: number, b: number) => (b ? `${round(a / b, 2)}×` : '–')
  const n = (v: number) => v.toLocaleString('en')
  const size = (name: string) => r.sizes.find((s) => s.name === name)!
  const page = (variant: string) => r.pages.find((p) => p.variant === variant)!
  const empty = page('empty')
  const ceiling = r.ingest[0]!
  const lines = [
    '# Benchmarks',
    '',
    `${r.quick ? 'Quick' : 'Full'} run of \`npm run bench${r.quick ? ' -- --quick' : ''}\`, ${r.startedAt.date} (${r.seconds} s), on ${r.startedAt.cpu}, ${r.startedAt.cores} cores, ${r.startedAt.memoryGiB} GiB, Node ${r.startedAt.node}.`,
    `Load average at start ${r.startedAt.load.join(' ')}, at the end ${r.finishedAt.load.join(' ')} (other work on the machine shows here). Stores: SQLite (better-sqlite3), ${Object.entries(
      r.servers,
    )
      .map(([k, v]) => v.version ?? `${k} NOT RUN: ${v.missing}`)
      .join(', ')}.`,
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
    ...r.pages.map(
      (p) => `| ${p.variant} | ${p.scriptMs} | ${round(p.scriptMs - empty.scriptMs)} | ${p.longTaskMs} | ${p.bannerMs ?? '–'} | ${n(p.bytes)} | ${n(p.bytes - empty.bytes)} |`,
    ),
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
    `${r.ingestAt ? `Measured on its own (\`npm run bench -- --only ingest\`), ${r.ingestAt}. ` : ''}autocannon in its own process, ${r.quick ? 3 : 10} s per target, 400 connections (visitors send from many connections at once), 20 realistic one-page-view beacons in turn. The collector's rate limit is off (\`serve --rate-limit 0\`); each acknowledgement waits for its group commit (durable before the 204; the next commit starts as soon as the last has finished), and the load generator shares the machine's cores with the collector.`,
    '',
    '| target | req/s | of ceiling | p50 ms | p97.5 ms | p99 ms | sent | acknowledged in the run | refused | stored page views | acknowledged ≤ stored ≤ sent |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.ingest.map(
      (i) =>
        `| ${i.target} | ${n(i.rps)} | ${x(i.rps, ceiling.rps)} | ${i.p50} | ${i.p97_5} | ${i.p99} | ${n(i.sent)} | ${n(i.acknowledged)} | ${n(i.refused)} | ${i.stored === undefined ? '–' : n(i.stored)} | ${i.kept === undefined ? '–' : i.kept ? 'yes' : '**no**'} |`,
    ),
    '',
    '## 4. Query latency',
    '',
    `A year of a site with real cardinality (bench/traffic.ts: paths 2,000 Zipf s = 1.1, referrers 300, sources 50, campaigns 20, countries 120, languages 40, screens 4, browsers 20 × 8 versions, OS 10, devices 3). ` +
      Object.entries(r.seeded)
        .map(
          ([scale, s]) =>
            `${scale}: ${n(s.pageviews)} page views; ${s.ingestedDays ? `the last ${s.ingestedDays} days through the real ingest path (beaconRows, the group-commit merge, store writes; every tier), the ${s.drawnDays} before` : `all ${s.drawnDays} days`} drawn per dimension from the same distributions and written as ingest writes marginal rows`,
        )
        .join('; ') +
      '. The detail window is 62 days; at 100 M a month no detail is seeded (such a site keeps it on ClickHouse; 62 days would be about 200 M detail rows), so only unfiltered views are timed there.',
    `A view is what the dashboard asks: two requests at once (the top line with the previous period and the chart; every one of the ${16} panels, limit 10), through the stats model; median of ${r.quick ? 2 : 5} views after a warm-up. Stores settled first (SQLite vacuumed, PostgreSQL vacuumed and analysed, ClickHouse's parts merged). "Before" quotes the issue's figures of today's code (2026-12-01, a view of 8 breakdowns on data of 40 paths): not the same data, the order of magnitude.`,
    '',
    '| store | traffic | view | ms | before | target | met |',
    '|---|---|---|---|---|---|---|',
    ...r.queries.map((q) => {
      const key = `${q.store} ${q.scale} ${q.view.startsWith('12') ? '12mo' : q.view === '30 days' ? '30d' : 'filtered'}`
      const target = q.view.includes('20th') ? undefined : TARGETS[key]
      return `| ${q.store} | ${q.scale} | ${q.view} | ${q.ms}${q.unavailable ? ` (${q.unavailable} parts unavailable)` : ''} | ${BEFORE[key] ?? '–'} | ${target ? `≤ ${target} ms` : '–'} | ${target ? (q.ms <= target ? 'yes' : '**no**') : '–'} |`
    }),
    '',
    '## 5. Reads do not hold up writes',
    '',
    ...(r.responsiveness
      ? [
          `The built \`quietcount serve\` on the SQLite store of section 4 (1 M page views a month); one beacon at a time, its acknowledgement timed, first idle, then while dashboard views (${r.responsiveness.view}, both requests over HTTP) run back to back. An acknowledgement waits for its group commit (up to 50 ms) either way.`,
          '',
          '| | p50 ms | max ms |',
          '|---|---|---|',
          `| idle | ${r.responsiveness.idle.p50} | ${r.responsiveness.idle.max} |`,
          `| during ${r.responsiveness.views} views of ${r.responsiveness.viewMs} ms each | ${r.responsiveness.busy.p50} | ${r.responsiveness.busy.max} |`,
          '',
          `During views, the median acknowledgement differs from idle by ${round(r.responsiveness.busy.p50 - r.responsiveness.idle.p50, 1)} ms and the slowest one is ${round(r.responsiveness.busy.max - r.responsiveness.idle.p50, 1)} ms over the idle median (target: within 50 ms).`,
        ]
      : ['Not run (needs the SQLite store).']),
    '',
    '## 6. The dashboard in Chromium',
    '',
    `\`quietcount demo\` (the store \`npm start\` fills: ${n(r.dashboard.pageviews)} page views in a year for the two demo sites), \`quietcount serve\`, Chromium with the token in session storage: from the navigation's start to the first frame with the top line, the chart and every panel filled. Median of ${r.dashboard.rows[0]?.loads} loads after a warm-up.`,
    '',
    '| view | ms | range | before | target | met |',
    '|---|---|---|---|---|---|',
    ...r.dashboard.rows.map(
      (d) =>
        `| ${d.period} | ${d.p50} | ${d.min}–${d.max} | ${BEFORE[`dashboard ${d.period}`] ?? '–'} | ${TARGETS[`dashboard ${d.period}`] ? `≤ ${TARGETS[`dashboard ${d.period}`]} ms` : '–'} | ${TARGETS[`dashboard ${d.period}`] ? (d.p50 <= TARGETS[`dashboard ${d.period}`]! ? 'yes' : '**no**') : '–'} |`,
    ),
    '',
    '## 7. Storage per tier',
    '',
    'The stores of section 4 after twelve months, and stores holding the last 30 days of the same traffic (a site one month old), settled. The detail tier is bounded by its window (62 days); the marginal tier grows with days and distinct values per day, not with traffic.',
    '',
    '| store | traffic | after | detail rows | detail bytes | marginal rows | marginal bytes |',
    '|---|---|---|---|---|---|---|',
    ...r.storage.map(
      (s) =>
        `| ${s.store} | ${s.scale} | ${s.months} month${s.months > 1 ? 's' : ''} | ${n(s.sizes.detail.rows)} | ${n(s.sizes.detail.bytes)} | ${n(s.sizes.marginal.rows)} | ${n(s.sizes.marginal.bytes)} |`,
    ),
    '',
    ...[...new Set(r.storage.map((s) => s.store))].flatMap((store) =>
      [1, 12].map((months) => {
        const [small, large] = ['1 M page views/month', '100 M page views/month'].map(
          (scale) => r.storage.find((s) => s.store === store && s.months === months && s.scale === scale)!,
        )
        return small && large
          ? `${store}, after ${months} month${months > 1 ? 's' : ''}: 100× the traffic takes ${x(large.sizes.marginal.bytes, small.sizes.marginal.bytes)} the marginal tier's bytes (target ≤ 1.5×).`
          : ''
      }),
    ),
    ...[...new Set(r.storage.map((s) => s.store))].map((store) => {
      const [one, twelve] = [1, 12].map((months) => r.storage.find((s) => s.store === store && s.months === months && s.scale === '1 M page views/month')!)
      return one && twelve
        ? `${store}, 1 M a month: the detail tier holds ${n(one.sizes.detail.rows)} rows after a month and ${n(twelve.sizes.detail.rows)} after twelve (${x(twelve.sizes.detail.bytes, one.sizes.detail.bytes)} the bytes: the 62-day window, not the year).`
        : ''
    }),
    '',
    '## 8. Importing a Plausible export',
    '',
    ...importMarkdown(r.imports, r.startedAt.date),
    '',
  ]
  return lines.join('\n')
}
