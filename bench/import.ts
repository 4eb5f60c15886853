import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { getAllCountries } from 'countries-and-timezones'
import yazl from 'yazl'
import { PLAUSIBLE_BROWSERS, PLAUSIBLE_SYSTEMS, PLAUSIBLE_TABLES, plausibleTable } from '../src/collector/formats/plausible/import.js'
import { openExport } from '../src/collector/imports/export-files.js'
import { type ImportReport, runImport } from '../src/collector/imports/run-import.js'
import type { Site } from '../src/collector/sites/sites.js'
import { today } from '../src/collector/sites/time-zone.js'
import { openStore } from '../src/collector/stores/open.js'
import { csvQuoted } from '../src/shared/stats-csv.js'
import { PLAUSIBLE_EXPORT } from '../test/fixtures/plausible-export.js'
import { machine, round } from './machine.js'
import { benchSite, statsOf, timeView } from './query.js'
import { type StoreKind, tierSizes } from './storage.js'
import { datesUpTo, list, MODEL, random, SITE, viewsOfDay, weighted, zipf } from './traffic.js'

/**
 * Issue 14's "done when": a year of a site with 1 M page views a month, as Plausible's CSV export
 * of it, imported with runImport (what `quietcount import plausible` runs) into a fresh store of
 * each kind, and then "Last 12 months" asked of it as the dashboard asks it (query.ts's timeView).
 *
 * The export is made by simulating visits (pages per visit, entry and exit page, source, location,
 * device, browser, OS, custom events) from seeded Zipf distributions (traffic.ts's helpers) and
 * summing them per day and value, or combination of values, as Plausible's exporter writes its
 * tables: one line per date and value, columns exactly as the test fixture's (which follows
 * lib/plausible/exports.ex). Each day is summed, written and forgotten, so the export streams to
 * disk whatever its size; then it is zipped, as Plausible hands it out, and the import reads the zip.
 */

const MiB = 2 ** 20
const PLAN = { source: 'plausible', tableOf: plausibleTable } as const

// ---------------------------------------------------------------------------------------------
// The site's traffic, as Plausible would have recorded it

/** A visit ends after each page with this probability: 45% of visits bounce, 2.2 pages a visit on average. */
const LEAVE = 0.45
/** Share of visits that are their visitor's first of the day, so that visitors ≤ visits on every line. */
const FIRST_OF_DAY = 0.8
/** Page views that also send a custom event. */
const EVENT_SHARE = 0.05
/** Visits with no referrer nor UTM tags, and visits tagged with UTM parameters; the rest are referrals. */
const DIRECT = 0.35
const TAGGED = 0.12
/** Visits whose location Plausible could not resolve beyond the country (empty region, city 0). */
const COUNTRY_ONLY = 0.08
/** Mean seconds on a page (exponential). */
const SECONDS_ON_PAGE = 45

/** Where a visit comes from: the first referrers by their real names, then a long tail, each with the source Plausible names it by. */
const KNOWN_REFERRERS: [host: string, source: string, search: boolean][] = [
  ['google.com', 'Google', true],
  ['bing.com', 'Bing', true],
  ['duckduckgo.com', 'DuckDuckGo', true],
  ['news.ycombinator.com', 'Hacker News', false],
  ['reddit.com', 'Reddit', false],
  ['t.co', 'Twitter', false],
  ['facebook.com', 'Facebook', false],
  ['linkedin.com', 'LinkedIn', false],
  ['github.com', 'GitHub', false],
  ['ecosia.org', 'Ecosia', true],
]

const countryCodes = () => {
  // 150 real ISO 3166 codes, in a seeded order so that the most frequent ones are not alphabetical.
  const next = random(14)
  return Object.keys(getAllCountries())
    .sort()
    .map((code) => ({ code, order: next() }))
    .sort((a, b) => a.order - b.order)
    .slice(0, 150)
    .map((c) => c.code)
}
const COUNTRY_CODES = countryCodes()

/** Plausible's names where QuietCount's (traffic.ts's MODEL) differ, as the exporter in src/collector/formats/plausible/export.ts writes them back. */
const inverse = (names: Record<string, string>) => Object.fromEntries(Object.entries(names).map(([theirs, ours]) => [ours, theirs]))
const THEIR_BROWSERS = inverse(PLAUSIBLE_BROWSERS)
const THEIR_SYSTEMS: Record<string, string> = { ...inverse(PLAUSIBLE_SYSTEMS), 'Mac OS': 'Mac' }
/** Versions Plausible records per operating system, most used first. */
const OS_VERSIONS: Record<string, string[]> = {
  Windows: ['10', '11', '8.1', '7'],
  Android: ['14', '13', '12', '11', '10', '9', '8.1'],
  iOS: ['17.5', '17.4', '16.7', '17.3', '16.6', '15.8', '18.0'],
  'Mac OS': ['10.15', '14.5', '13.6', '12.7', '11.7'],
  'Chrome OS': ['124', '123', '122'],
  HarmonyOS: ['4.0', '3.0'],
}

export const IMPORT_MODEL = {
  // Thousands of pages, most seen rarely: in the tail a page gets well under one view a day.
  path: zipf(list(5000, (k) => `/section-${k % 40}/page-${k}`)),
  referrer: zipf([
    ...KNOWN_REFERRERS.map(([host, source, search]) => ({ host, source, search })),
    ...list(290, (k) => `referrer-${k}.example`).map((host) => ({ host, source: host, search: false })),
  ]),
  /** The page of a referring site that linked (Plausible keeps the referrer's path). */
  referrerPage: zipf(list(20, (k) => `/post-${k}`)),
  utmSource: zipf(MODEL.source.values.slice(1)),
  utmMedium: zipf(MODEL.medium.values.slice(1)),
  utmCampaign: zipf(MODEL.campaign.values.slice(1)),
  utmContent: zipf(['', 'hero', 'footer', 'sidebar', 'banner', 'signature']),
  utmTerm: zipf(['', ...list(15, (k) => `term-${k}`)]),
  country: zipf(COUNTRY_CODES.map((_, k) => k)),
  /** Regions of a country: more for the countries most visits come from. */
  region: COUNTRY_CODES.map((_, k) => zipf(list(k < 10 ? 20 : k < 40 ? 8 : 3, (r) => String(r + 1).padStart(2, '0')))),
  city: zipf(Array.from({ length: 15 }, (_, k) => k)),
  device: weighted(['Desktop', 'Mobile', 'Laptop', 'Tablet', '(not set)'], [44, 38, 12, 5, 1]),
  browser: MODEL.browser,
  browserVersion: MODEL.browser_version,
  browserMinor: zipf(['0', '1', '2', '3']),
  os: MODEL.os,
  osVersion: Object.fromEntries(Object.entries(OS_VERSIONS).map(([os, versions]) => [os, zipf(versions)])),
  event: zipf(['Outbound Link: Click', 'File Download', 'Signup', 'Newsletter', '404', 'Donate', 'Search', 'Share', 'Contact', 'Play Video']),
  outbound: zipf(list(400, (k) => `https://site-${k % 80}.example/article-${k}`)),
  download: zipf(list(150, (k) => `https://${SITE.id}/files/report-${k}.pdf`)),
  missing: zipf(list(300, (k) => `/old/page-${k}`)),
}

// ---------------------------------------------------------------------------------------------
// The export's tables, streamed

/** A table as the exporter writes it: its header from the fixture, its text columns (the line's key) and count columns. */
interface TableFile {
  name: string
  header: string[]
  text: string[]
  counts: string[]
  stream: WriteStream
  /** The lines of the day being summed, by their text columns (already CSV). */
  day: Map<string, number[]>
  /** Every key seen in the year: the table's cardinality. */
  seen: Set<string>
  lines: number
  bytes: number
}

type Counts = Record<string, number>

function tableFiles(folder: string, from: string, to: string): Map<string, TableFile> {
  const files = new Map<string, TableFile>()
  for (const table of PLAUSIBLE_TABLES) {
    // The fixture's header is the exporter's; the importer's table says which columns are text.
    const header = PLAUSIBLE_EXPORT[table.name]!.split('\n')[0]!.split(',')
    const text = header.filter((c) => table.text.includes(c))
    const counts = header.filter((c) => c !== 'date' && !table.text.includes(c))
    const name = `imported_${table.name}_${from.replaceAll('-', '')}_${to.replaceAll('-', '')}.csv`
    const stream = createWriteStream(join(folder, name))
    const first = `${header.join(',')}\n`
    stream.write(first)
    files.set(table.name, { name, header, text, counts, stream, day: new Map(), seen: new Set(), lines: 0, bytes: Buffer.byteLength(first) })
  }
  return files
}

/** Adds `counts` to the day's line of `table` for these text values (in the header's order). */
function add(table: TableFile, text: string[], counts: Counts) {
  const key = text.map(csvQuoted).join(',')
  let sums = table.day.get(key)
  if (!sums) table.day.set(key, (sums = table.counts.map(() => 0)))
  for (let i = 0; i < sums.length; i++) sums[i]! += counts[table.counts[i]!] ?? 0
}

/** Writes the day's lines of every table, waiting for the disk when its buffer is full, and forgets them. */
async function flushDay(files: Map<string, TableFile>, date: string) {
  for (const table of files.values()) {
    if (!table.day.size) continue
    const chunk = `${[...table.day].map(([key, sums]) => [date, ...(table.text.length ? [key] : []), ...sums].join(',')).join('\n')}\n`
    for (const key of table.day.keys()) table.seen.add(key)
    table.lines += table.day.size
    table.bytes += Buffer.byteLength(chunk)
    table.day.clear()
    if (!table.stream.write(chunk)) await once(table.stream, 'drain')
  }
}

interface DayTotals {
  pageviews: number
  visits: number
  visitors: number
  events: number
}

/** A day of visits up to `views` page views, summed into the tables' lines of the day. */
function simulateDay(files: Map<string, TableFile>, views: number, seed: number): DayTotals {
  const m = IMPORT_MODEL
  const t = (name: string) => files.get(name)!
  const [visitors, sources, pages, entries, exits, events, locations, devices, browsers, systems] = [
    'visitors',
    'sources',
    'pages',
    'entry_pages',
    'exit_pages',
    'custom_events',
    'locations',
    'devices',
    'browsers',
    'operating_systems',
  ].map(t) as [TableFile, TableFile, TableFile, TableFile, TableFile, TableFile, TableFile, TableFile, TableFile, TableFile]
  const next = random(seed)
  const totals: DayTotals = { pageviews: 0, visits: 0, visitors: 0, events: 0 }
  while (totals.pageviews < views) {
    let n = 1
    while (next() >= LEAVE && n < 50) n++
    n = Math.min(n, views - totals.pageviews)
    const first = next() < FIRST_OF_DAY ? 1 : 0
    // The visit's pages, each with its time and scroll depth; the duration runs to the last page's start.
    const visit = new Map<string, { views: number; seconds: number; scroll: number }>()
    let entry = ''
    let exit = ''
    let duration = 0
    for (let i = 0; i < n; i++) {
      const path = m.path.draw(next)
      const seconds = Math.floor(-Math.log(1 - next()) * SECONDS_ON_PAGE)
      const scroll = Math.floor(next() * 101)
      if (i === 0) entry = path
      if (i < n - 1) duration += seconds
      exit = path
      const seen = visit.get(path)
      if (seen) {
        seen.views++
        seen.seconds += seconds
        seen.scroll += scroll
      } else visit.set(path, { views: 1, seconds, scroll })
      if (next() < EVENT_SHARE) {
        const name = m.event.draw(next)
        const link = name === 'Outbound Link: Click' ? m.outbound.draw(next) : name === 'File Download' ? m.download.draw(next) : ''
        add(events, [name, link, name === '404' ? m.missing.draw(next) : ''], { visitors: first, events: 1 })
        totals.events++
      }
    }
    const bounce = n === 1 ? 1 : 0
    const people = { visitors: first, visits: 1, visit_duration: duration, bounces: bounce, pageviews: n }
    add(visitors, [], people)
    for (const [path, p] of visit)
      add(pages, [SITE.id, path], {
        visits: 1,
        visitors: first,
        pageviews: p.views,
        total_scroll_depth: p.scroll,
        total_scroll_depth_visits: 1,
        total_time_on_page: p.seconds,
        total_time_on_page_visits: 1,
      })
    add(entries, [entry], { ...people, entrances: 1 })
    add(exits, [exit], { ...people, exits: 1 })
    add(sources, source(next), people)
    const country = m.country.draw(next)
    const local = next() < COUNTRY_ONLY
    const region = local ? '' : `${COUNTRY_CODES[country]}-${m.region[country]!.draw(next)}`
    // GeoNames ids: one per city of a region, 0 where Plausible knows no city.
    const city = local ? 0 : 1_000_000 + (country * 20 + Number(region.slice(3))) * 15 + m.city.draw(next)
    add(locations, [COUNTRY_CODES[country]!, region, String(city)], people)
    add(devices, [m.device.draw(next)], people)
    const browser = m.browser.draw(next)
    add(browsers, [THEIR_BROWSERS[browser] ?? browser, `${m.browserVersion.draw(next)}.${m.browserMinor.draw(next)}`], people)
    const os = m.os.draw(next)
    add(systems, [THEIR_SYSTEMS[os] ?? os, m.osVersion[os]?.draw(next) ?? '(not set)'], people)
    totals.pageviews += n
    totals.visits++
    totals.visitors += first
  }
  return totals
}

/** A visit's line of the sources table: source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term. */
function source(next: () => number): string[] {
  const m = IMPORT_MODEL
  const kind = next()
  if (kind < DIRECT) return ['Direct / None', '', '', '', '', '', '']
  const tagged = kind < DIRECT + TAGGED
  // A tagged link opened from a mail client has no referrer; from a page, Plausible names the source by the referrer.
  const referred = !tagged || next() < 0.3
  const from = referred ? m.referrer.draw(next) : undefined
  const referrer = from ? (from.search ? from.host : `${from.host}${m.referrerPage.draw(next)}`) : ''
  if (!tagged) return [from!.source, referrer, '', '', '', '', '']
  const utm = m.utmSource.draw(next)
  return [from?.source ?? utm, referrer, utm, m.utmMedium.draw(next), m.utmCampaign.draw(next), m.utmContent.draw(next), m.utmTerm.draw(next)]
}

export interface GeneratedExport {
  perMonth: number
  days: number
  from: string
  to: string
  pageviews: number
  visits: number
  visitors: number
  events: number
  /** Per table: data lines, bytes, and distinct keys over the year (values or combinations). */
  tables: { name: string; lines: number; bytes: number; distinct: number }[]
  lines: number
  bytes: number
  zip: string
  zipBytes: number
  seconds: number
  /** Peak RSS while generating: a day at a time, whatever the year's size. */
  rssPeakMiB: number
  /** Page views and events of each day, to check what a range of the dashboard shows. */
  daily: { date: string; pageviews: number; events: number }[]
}

/** Writes `days` days up to today of a site with `perMonth` page views a month as Plausible's export, a folder of CSV files and its zip, under `dir`. */
export async function writePlausibleYear(dir: string, perMonth: number, days: number): Promise<GeneratedExport> {
  const started = performance.now()
  const dates = datesUpTo(today(SITE.timezone), days)
  const from = dates[0]!
  const to = dates.at(-1)!
  const folder = join(dir, 'plausible-export')
  mkdirSync(folder, { recursive: true })
  const files = tableFiles(folder, from, to)
  const totals: DayTotals = { pageviews: 0, visits: 0, visitors: 0, events: 0 }
  const daily: GeneratedExport['daily'] = []
  let rssPeak = process.memoryUsage.rss()
  for (const [index, date] of dates.entries()) {
    // The same weekly rhythm and volume as query.ts's year; seeds of their own, so the two years differ.
    const day = simulateDay(files, viewsOfDay(perMonth, index), 5000 + index)
    await flushDay(files, date)
    for (const key of Object.keys(totals) as (keyof DayTotals)[]) totals[key] += day[key]
    daily.push({ date, pageviews: day.pageviews, events: day.events })
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
  }
  for (const table of files.values()) {
    table.stream.end()
    await finished(table.stream)
  }
  // Plausible hands the export out as a zip of these files; yazl reads each file from disk as it compresses.
  const zip = join(dir, 'plausible-export.zip')
  const archive = new yazl.ZipFile()
  for (const table of files.values()) archive.addFile(join(folder, table.name), table.name)
  archive.end()
  const out = archive.outputStream.pipe(createWriteStream(zip))
  await finished(out)
  const tables = [...files.values()].map((f) => ({ name: f.name, lines: f.lines, bytes: f.bytes, distinct: f.seen.size }))
  return {
    perMonth,
    days,
    from,
    to,
    ...totals,
    tables,
    lines: tables.reduce((n, f) => n + f.lines, 0),
    bytes: tables.reduce((n, f) => n + f.bytes, 0),
    zip,
    zipBytes: statSync(zip).size,
    seconds: round((performance.now() - started) / 1000, 1),
    rssPeakMiB: Math.round(rssPeak / MiB),
    daily,
  }
}

// ---------------------------------------------------------------------------------------------
// The import, and the dashboard's view of it

export interface ImportRun {
  store: StoreKind
  /** Data lines read (import.lines), rows written in batches (one marginal row can be written again by a later batch), and the marginal rows stored after. */
  lines: number
  rows: number
  storedRows: number
  storedBytes: number
  /** Both passes of runImport (check every line, then write), from opening the zip to the last write. */
  seconds: number
  linesPerSecond: number
  rowsPerSecond: number
  /**
   * RSS of the import's own process (a child, so nothing else's memory is in it) when the import
   * began and its peak during it (sampled every 25 ms and on every chunk read); `maxRssMiB` is the
   * kernel's high-water mark of the process over the import and the views after it.
   */
  rssStartMiB: number
  rssPeakMiB: number
  maxRssMiB: number
  /** Housekeeping after the import (vacuum, analyse, merges), as section 4's stores get before their queries. */
  settleSeconds: number
  /** "Last 12 months" over the imported site: median ms, parts unavailable, and its top line against the export's. */
  ms: number
  unavailable: number
  target?: number
  /** The range "Last 12 months" covers, its top line, and the export's page views and events of those days. */
  from: string
  to: string
  pageviewsShown: number
  eventsShown: number
  pageviewsExported: number
  eventsExported: number
  notes: string[]
}

export interface ImportBench {
  quick: boolean
  startedAt: ReturnType<typeof machine>
  seconds: number
  runs: number
  export: Omit<GeneratedExport, 'zip' | 'daily'>
  stores: ImportRun[]
}

/** Imports the export's zip into the store at `url` (fresh), settles it, and times "Last 12 months" over it. */
export async function importInto(kind: StoreKind, url: string, generated: GeneratedExport, runs: number, target: number | undefined): Promise<ImportRun> {
  const store = await openStore(url)
  await store.migrate()
  try {
    const site: Site = benchSite('1 M page views/month')
    let rssPeak = process.memoryUsage.rss()
    const rssStart = rssPeak
    const sample = () => {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
    }
    // The interval catches what happens between chunks (a batch being written); progress fires on every chunk read.
    const timer = setInterval(sample, 25)
    const started = performance.now()
    let report: ImportReport
    const source = await openExport(generated.zip)
    try {
      report = await runImport(store, site, source.files, PLAN, sample)
    } finally {
      clearInterval(timer)
      source.close()
    }
    sample()
    const seconds = (performance.now() - started) / 1000
    const settling = performance.now()
    const sizes = await tierSizes(kind, url)
    const settleSeconds = (performance.now() - settling) / 1000
    // The site as the registry has it after `quietcount import`: its import record makes the stats read the import's key.
    const imported: Site = { ...site, imports: [report.import] }
    const timed = await timeView(store, '1 M page views/month', 'period=12mo', runs, imported)
    const stats = await statsOf(store, imported, 'period=12mo&include=metrics')
    const { metrics } = stats.result
    const { from, to } = stats.query
    const shown = generated.daily.filter((d) => d.date >= from && d.date <= to)
    return {
      store: kind,
      lines: report.import.lines,
      rows: report.rows,
      storedRows: sizes.marginal.rows,
      storedBytes: sizes.marginal.bytes,
      seconds: round(seconds, 1),
      linesPerSecond: Math.round(report.import.lines / seconds),
      rowsPerSecond: Math.round(report.rows / seconds),
      rssStartMiB: Math.round(rssStart / MiB),
      rssPeakMiB: Math.round(rssPeak / MiB),
      // ru_maxrss is in KiB on Linux.
      maxRssMiB: Math.round((process.resourceUsage().maxRSS * 1024) / MiB),
      settleSeconds: round(settleSeconds, 1),
      ...timed,
      ...(target !== undefined && { target }),
      from,
      to,
      pageviewsShown: metrics?.pageviews ?? 0,
      eventsShown: metrics?.events ?? 0,
      pageviewsExported: shown.reduce((n, d) => n + d.pageviews, 0),
      eventsExported: shown.reduce((n, d) => n + d.events, 0),
      notes: report.notes,
    }
  } finally {
    await store.close()
  }
}

/** The work a child process does (import-child.ts), and what it answers. */
export type ChildJob =
  | { command: 'generate'; dir: string; perMonth: number; days: number }
  | { command: 'import'; kind: StoreKind; url: string; generated: GeneratedExport; runs: number; target: number | undefined }
export type ChildAnswer = { ok: true; result: GeneratedExport | ImportRun } | { ok: false; error: string }

/** Runs `job` in a fresh Node process: its RSS is then the job's alone, not the bench's nor an earlier step's. */
async function inChild<T extends GeneratedExport | ImportRun>(job: ChildJob): Promise<T> {
  const child = fork(fileURLToPath(new URL('./import-child.js', import.meta.url)), { stdio: 'inherit' })
  const answer = new Promise<ChildAnswer>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ChildAnswer))
    child.once('exit', (code) => reject(new Error(`the ${job.command} child exited (${code}) without an answer`)))
  })
  child.send(job)
  const got = await answer
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))
  if (!got.ok) throw new Error(`${job.command}: ${got.error}`)
  return got.result as T
}

/**
 * Makes the export once, then imports it into a fresh store of each kind in turn, each step in a
 * process of its own (import-child.ts) and one at a time, so that each has the machine and its RSS
 * is its own; logs as it goes.
 */
export async function measureImports(
  dir: string,
  kinds: StoreKind[],
  fresh: (kind: StoreKind) => string,
  plan: { perMonth: number; days: number; runs: number; quick: boolean },
  targetOf: (kind: StoreKind) => number | undefined,
  log: (line: string) => void,
): Promise<ImportBench> {
  const startedAt = machine()
  const started = performance.now()
  const generated = await inChild<GeneratedExport>({ command: 'generate', dir, perMonth: plan.perMonth, days: plan.days })
  const n = (v: number) => v.toLocaleString('en')
  log(
    `import: export of ${generated.days} days (${generated.from} to ${generated.to}), ${n(generated.pageviews)} page views, ${n(generated.lines)} lines, ${round(generated.bytes / MiB, 1)} MiB of CSV, ${round(generated.zipBytes / MiB, 1)} MiB zipped, written in ${generated.seconds} s (peak RSS ${generated.rssPeakMiB} MiB)`,
  )
  for (const t of generated.tables) log(`import:   ${t.name}: ${n(t.lines)} lines, ${n(t.distinct)} distinct values or combinations`)
  const stores: ImportRun[] = []
  for (const kind of kinds) {
    const run = await inChild<ImportRun>({ command: 'import', kind, url: fresh(kind), generated, runs: plan.runs, target: targetOf(kind) })
    stores.push(run)
    log(
      `import ${kind}: ${n(run.lines)} lines, ${n(run.rows)} rows written (${n(run.storedRows)} stored) in ${run.seconds} s: ${n(run.linesPerSecond)} lines/s, ${n(run.rowsPerSecond)} rows/s; RSS ${run.rssStartMiB} MiB at start, peak ${run.rssPeakMiB} MiB (maxRSS ${run.maxRssMiB} MiB); settled in ${run.settleSeconds} s; "Last 12 months" ${run.ms} ms${run.target ? ` (target ≤ ${run.target} ms: ${run.ms <= run.target ? 'met' : 'NOT MET'})` : ''}${run.unavailable ? `, ${run.unavailable} parts unavailable` : ''}; ${run.from} to ${run.to} shows ${n(run.pageviewsShown)} page views (export: ${n(run.pageviewsExported)}), ${n(run.eventsShown)} events (export: ${n(run.eventsExported)})`,
    )
  }
  const { zip: _zip, daily: _daily, ...exported } = generated
  return { quick: plan.quick, startedAt, seconds: Math.round((performance.now() - started) / 1000), runs: plan.runs, export: exported, stores }
}

/** Section 8 of bench/RESULTS.md; `runStartedAt` says whether the section was measured in the run the rest of the file comes from. */
export function importMarkdown(r: ImportBench | undefined, runStartedAt: string): string[] {
  if (!r) return ['Not run in this run (`npm run bench -- --only import` runs it alone).']
  const n = (v: number) => v.toLocaleString('en')
  const e = r.export
  const table = (name: string) => e.tables.find((t) => t.name.startsWith(`imported_${name}_`))
  const distinct = (name: string, what: string) => `${n(table(name)?.distinct ?? 0)} ${what}`
  const own =
    r.startedAt.date === runStartedAt
      ? `Measured in this run (${r.seconds} s).`
      : `Measured on its own (\`npm run bench -- --only import${r.quick ? ' --quick' : ''}\`), ${r.startedAt.date} (${r.seconds} s), on ${r.startedAt.cpu}, ${r.startedAt.cores} cores, load average at start ${r.startedAt.load.join(' ')}.`
  return [
    `${own} A year (${e.days} days, ${e.from} to ${e.to}) of a site with ${n(e.perMonth)} page views a month, made by bench/import.ts as Plausible's exporter writes it: visits simulated from seeded Zipf distributions (bench/traffic.ts's helpers) and summed per day and value, or combination of values, into its ten tables, columns as test/fixtures/plausible-export.ts. ${n(e.pageviews)} page views, ${n(e.visits)} visits, ${n(e.events)} custom events; over the year ${distinct('pages', 'pages')}, ${distinct('sources', 'source/referrer/UTM combinations')}, ${distinct('locations', 'country/region/city combinations')} (150 countries), ${distinct('browsers', 'browser versions')}, ${distinct('operating_systems', 'OS versions')}, ${distinct('custom_events', 'event/link URL/path combinations')}.`,
    `The export: ${n(e.lines)} data lines, ${n(Math.round(e.bytes / MiB))} MiB of CSV, ${n(Math.round(e.zipBytes / MiB))} MiB zipped; written a day at a time in ${e.seconds} s (peak RSS ${e.rssPeakMiB} MiB).`,
    "Each store gets a fresh database and the zip through runImport (what `quietcount import plausible` runs: yauzl, csv-parse, every line checked in a first pass, then written in batches of 20,000 merged rows under the import's key), one store at a time, each in a Node process of its own, so that its RSS is the import's (sampled every 25 ms and on every chunk read; maxRSS is the kernel's high-water mark of that process, the views after the import included). Seconds cover both passes; rows written count a marginal row again when a later batch adds to it, rows stored are what the marginal tier holds after. " +
      `Then the store is settled as in section 4, and the site, carrying its import record, is asked "Last 12 months" as section 4 asks it (top line, previous period, chart and all panels, in two requests), median of ${r.runs} views after a warm-up${r.stores[0] ? ` (${r.stores[0].from} to ${r.stores[0].to}: from the first of the month eleven months back, so the export's first days fall before it)` : ''}; its top line is checked against the export's page views and events of the same days.`,
    '',
    '| store | lines | rows written | rows stored | seconds | lines/s | rows/s | RSS at start MiB | peak RSS MiB | maxRSS MiB | settle s | 12 months ms | target | met | top line = export |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.stores.map(
      (s) =>
        `| ${s.store} | ${n(s.lines)} | ${n(s.rows)} | ${n(s.storedRows)} | ${s.seconds} | ${n(s.linesPerSecond)} | ${n(s.rowsPerSecond)} | ${s.rssStartMiB} | ${s.rssPeakMiB} | ${s.maxRssMiB} | ${s.settleSeconds} | ${s.ms}${s.unavailable ? ` (${s.unavailable} parts unavailable)` : ''} | ${s.target ? `≤ ${s.target} ms` : '–'} | ${s.target ? (s.ms <= s.target && !s.unavailable ? 'yes' : '**no**') : '–'} | ${s.pageviewsShown === s.pageviewsExported && s.eventsShown === s.eventsExported ? `yes (${n(s.pageviewsShown)} page views)` : `**no** (${n(s.pageviewsShown)} of ${n(s.pageviewsExported)} page views, ${n(s.eventsShown)} of ${n(s.eventsExported)} events)`} |`,
    ),
    '',
    e.perMonth === 1_000_000 ? '' : `At ${n(e.perMonth)} page views a month (quick run), the targets, set for 1 M, are not compared.`,
  ]
}
