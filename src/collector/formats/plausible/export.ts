import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import yazl from 'yazl'
import { csvQuoted, defused } from '../../../shared/stats-csv.js'
import { type ExportMark, exportMark } from '../../imports/export-files.js'
import { importKeys as keysOf, type Site, type SiteImport } from '../../sites/sites.js'
import { dateOfDay, dayNumber } from '../../sites/time-zone.js'
import type { AggregateRow, Store } from '../../stores/store.js'
import { PLAUSIBLE_BROWSERS, PLAUSIBLE_EVENTS, PLAUSIBLE_SCREENS, PLAUSIBLE_SYSTEMS } from './import.js'

/**
 * A site's marginal tier (its imports included) as Plausible's CSV export, so that a site can
 * move to Plausible: the files and columns its importer reads (lib/plausible/exports.ex), one line
 * per day and value. The marginals hold one dimension per row, so what Plausible keeps as a
 * combination is written one dimension at a time: docs/import.md says what each column holds and
 * what cannot be written (UTM fields, bounces, visit durations, exits).
 *
 * Its cells are defused against spreadsheet formulas as the stats' CSV is (stats-csv.ts), and a
 * count the site's imports do not know is an empty cell, never 0; the zip's comment marks it as
 * QuietCount's (imports/export-files.ts ExportMark), so that importing it back undoes the one and knows
 * the other: the round trip gives the same figures and values.
 */

/** Days read per store query: a month of a busy site's pages is a bounded answer. */
const DAYS_PER_READ = 31

type Line = (string | number)[]

interface ExportedTable {
  name: string
  header: string[]
  /** The lines of the days [from, to), in order. */
  lines(read: Reader, from: number, to: number): AsyncGenerator<Line>
}

/**
 * A dimension's daily rows of one span, grouped by day, parent and value, in that order; a
 * counter the site's imports do not know on a row's day is '' (unknownOn).
 */
type Reader = (dimension: string, from: number, to: number) => Promise<AggregateRow[]>

/** A count as its cell: a number, or '' when it is not known. */
const n = (row: AggregateRow, counter: string): number | '' => (row[counter] === '' ? '' : Number(row[counter] ?? 0))
/** Whether a row has some of these counts, or may have (not known): a line is written for it. */
const some = (row: AggregateRow, ...counters: string[]) => counters.some((c) => n(row, c) !== 0)
const date = (row: AggregateRow) => dateOfDay(Number(row.time))
const inverse = (names: Record<string, string>) => Object.fromEntries(Object.entries(names).map(([theirs, ours]) => [ours, theirs]))
const BROWSERS = inverse(PLAUSIBLE_BROWSERS)
const SYSTEMS = { ...inverse(PLAUSIBLE_SYSTEMS), 'Mac OS': 'Mac' }
const SCREENS = inverse(PLAUSIBLE_SCREENS)
const EVENTS = inverse(PLAUSIBLE_EVENTS)
const NOT_SET = '(not set)'
const named = (names: Record<string, string>, value: string) => (value === '' || value === 'Unknown' ? NOT_SET : (names[value] ?? value))
/** visitors, visits, visit_duration, bounces, pageviews: engagement seconds stand for the visit duration; bounces are not counted here. */
const people = (row: AggregateRow) => [n(row, 'visitors_day'), n(row, 'visits'), n(row, 'seconds'), 0, n(row, 'views')]
const PEOPLE = ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews']
/** A count and the page views it is averaged over (Plausible's *_visits columns), both empty when the count is not known. */
const averaged = (row: AggregateRow, counter: string) => (n(row, counter) === '' ? ['', ''] : [n(row, counter), n(row, 'views')])

/**
 * A table that is a plain breakdown by day: a line for each row of `dimension` that has some of
 * `counters` (or may have), unless `line` leaves it out.
 */
const byValue = (name: string, header: string[], dimension: string, counters: string[], line: (row: AggregateRow) => Line | undefined): ExportedTable => ({
  name,
  header,
  async *lines(read, from, to) {
    for (const row of await read(dimension, from, to)) {
      const written = some(row, ...counters) && line(row)
      if (written) yield written
    }
  },
})

/** The rows of a dimension by day and parent (a browser's versions, an event's properties). */
function byParent(rows: readonly AggregateRow[]): Map<string, AggregateRow[]> {
  const held = new Map<string, AggregateRow[]>()
  for (const row of rows) {
    const key = dayAndParent(row.time, row.parent)
    const list = held.get(key)
    if (list) list.push(row)
    else held.set(key, [row])
  }
  return held
}
const dayAndParent = (time: unknown, parent: unknown) => `${time}\u0000${parent}`

/** The tables; `host` (the site id: QuietCount counts one host per site) fills Plausible's hostname column. */
const tablesFor = (host: string): ExportedTable[] => [
  byValue('visitors', ['date', 'visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'], 'total', ['views', 'visits'], (r) => [
    date(r),
    n(r, 'visitors_day'),
    n(r, 'views'),
    0,
    n(r, 'visits'),
    n(r, 'seconds'),
  ]),
  byValue(
    'sources',
    ['date', 'source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'pageviews', 'visitors', 'visits', 'visit_duration', 'bounces'],
    'referrer',
    ['views'],
    (r) => [date(r), String(r.value) || 'Direct / None', String(r.value), '', '', '', '', '', n(r, 'views'), n(r, 'visitors_day'), n(r, 'visits'), n(r, 'seconds'), 0],
  ),
  // Plausible averages scroll and time over its *_visits columns; page views make its averages QuietCount's.
  // A page's visits are not counted here (its `visits` are the visits it started); its visitors bound them from below.
  byValue(
    'pages',
    ['date', 'hostname', 'page', 'visits', 'visitors', 'pageviews', 'total_scroll_depth', 'total_scroll_depth_visits', 'total_time_on_page', 'total_time_on_page_visits'],
    'path',
    ['views'],
    (r) => [date(r), host, String(r.value), n(r, 'visitors_day'), n(r, 'visitors_day'), n(r, 'views'), ...averaged(r, 'scroll'), ...averaged(r, 'seconds')],
  ),
  byValue('entry_pages', ['date', 'entry_page', 'visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'], 'path', ['visits'], (r) => [
    date(r),
    String(r.value),
    n(r, 'visits'),
    n(r, 'visits'),
    0,
    0,
    0,
  ]),
  { name: 'exit_pages', header: ['date', 'exit_page', 'visitors', 'visit_duration', 'exits', 'bounces', 'pageviews'], lines: async function* () {} },
  { name: 'custom_events', header: ['date', 'name', 'link_url', 'path', 'visitors', 'events'], lines: eventLines },
  byValue('locations', ['date', 'country', 'region', 'city', ...PEOPLE], 'country', ['views'], (r) =>
    /^[A-Z]{2}$/.test(String(r.value)) ? [date(r), String(r.value), '', 0, ...people(r)] : undefined,
  ),
  byValue('devices', ['date', 'device', ...PEOPLE], 'screen', ['views'], (r) => [date(r), SCREENS[String(r.value)] ?? NOT_SET, ...people(r)]),
  { name: 'browsers', header: ['date', 'browser', 'browser_version', ...PEOPLE], lines: browserLines },
  byValue('operating_systems', ['date', 'operating_system', 'operating_system_version', ...PEOPLE], 'os', ['views'], (r) => [
    date(r),
    named(SYSTEMS, String(r.value)),
    NOT_SET,
    ...people(r),
  ]),
]

/** Plausible's custom_events: an event's `url` property becomes its link_url; the events without one stay a line of their own. */
async function* eventLines(read: Reader, from: number, to: number): AsyncGenerator<Line> {
  const urls = byParent((await read('prop', from, to)).filter((row) => String(row.value).startsWith('url=')))
  for (const row of await read('name', from, to)) {
    const name = EVENTS[String(row.value)] ?? String(row.value)
    const events = n(row, 'events')
    // Not known on this day (an import without custom_events): one line that says so.
    if (events === '') {
      yield [date(row), name, '', '', 0, '']
      continue
    }
    let rest = events
    for (const link of urls.get(dayAndParent(row.time, row.value)) ?? []) {
      const url = String(link.value).slice(4)
      rest -= Number(n(link, 'events'))
      yield [date(row), name, url.startsWith('/') ? url : `https://${url}`, '', 0, n(link, 'events')]
    }
    if (rest > 0) yield [date(row), name, '', '', 0, rest]
  }
}

/**
 * Plausible's browsers: a browser's lines are its versions; what its versions do not add up to
 * (days of an import without versions) is a line of its own with an empty version, so that the
 * browser's counts come back whole, and no version is made up for them (an unknown one is "(not set)").
 */
async function* browserLines(read: Reader, from: number, to: number): AsyncGenerator<Line> {
  const versions = byParent(await read('browser_version', from, to))
  for (const browser of await read('browser', from, to)) {
    const own = versions.get(dayAndParent(browser.time, browser.value)) ?? []
    for (const version of own) if (some(version, 'views')) yield [date(version), named(BROWSERS, String(version.parent)), String(version.value) || NOT_SET, ...people(version)]
    const rest: AggregateRow = { time: Number(browser.time) }
    for (const counter of ['visitors_day', 'visits', 'seconds', 'views'])
      rest[counter] = n(browser, counter) === '' ? '' : Number(n(browser, counter)) - own.reduce((sum, v) => sum + Number(n(v, counter)), 0)
    if (some(rest, 'views')) yield [date(rest), named(BROWSERS, String(browser.value)), '', ...people(rest)]
  }
}

export interface ExportRange {
  /** First and last site-local day, YYYY-MM-DD. */
  from: string
  to: string
}

/** The first and last day the site (with its imports) has counts for, or undefined when it has none. */
export async function countedDays(store: Store, site: Site): Promise<ExportRange | undefined> {
  const [days] = await store.query([
    { site: site.id, imports: keysOf(site), parts: [{ table: 'daily', from: 0, to: 10 ** 7 }], filters: { dimension: 'total' }, groupBy: ['time'] },
  ])
  const counted = days!.filter((d) => some(d, 'views', 'events', 'visits')).map((d) => Number(d.time))
  if (!counted.length) return undefined
  return { from: dateOfDay(Math.min(...counted)), to: dateOfDay(Math.max(...counted)) }
}

/** Writes the Plausible export of `site` over `range` to the zip file `out`; resolves with the lines written per table. */
export async function exportPlausible(store: Store, site: Site, range: ExportRange, out: string): Promise<Record<string, number>> {
  const imports = keysOf(site)
  const read: Reader = async (dimension, from, to) => {
    const rows = (await store.query([{ site: site.id, imports, parts: [{ table: 'daily', from, to }], filters: { dimension }, groupBy: ['time', 'parent', 'value'] }]))[0]!
    for (const row of rows) for (const counter of unknownOn(site.imports ?? [], dimension, date(row))) row[counter] = ''
    return rows.sort((a, b) => Number(a.time) - Number(b.time))
  }
  const first = dayNumber(range.from)
  const last = dayNumber(range.to)
  const suffix = `_${range.from.replaceAll('-', '')}_${range.to.replaceAll('-', '')}.csv`
  const zip = new yazl.ZipFile()
  const file = createWriteStream(out)
  zip.outputStream.pipe(file)
  const written: Record<string, number> = {}
  for (const table of tablesFor(site.id)) {
    written[table.name] = 0
    async function* csv() {
      yield `${table.header.join(',')}\n`
      for (let from = first; from <= last; from += DAYS_PER_READ) {
        for await (const line of table.lines(read, from, Math.min(from + DAYS_PER_READ, last + 1))) {
          written[table.name]!++
          yield `${line.map((field) => csvQuoted(defused(String(field)))).join(',')}\n`
        }
      }
    }
    zip.addReadStream(Readable.from(csv()), `imported_${table.name}${suffix}`)
  }
  zip.end({ forceZip64Format: false, comment: exportMark(gapsOver(site.imports ?? [], range)) })
  await finished(file)
  return written
}

/** The counters of `dimension` that the imports holding `day` do not know. */
const unknownOn = (imports: readonly SiteImport[], dimension: string, day: string) =>
  new Set(imports.filter((i) => i.from <= day && day <= i.to).flatMap((i) => i.unknown?.[dimension] ?? []))

/** What the imports meeting the range do not know, for the export's mark: importing it back will not know it either. */
function gapsOver(imports: readonly SiteImport[], range: ExportRange): ExportMark {
  const meeting = imports.filter((i) => i.from <= range.to && i.to >= range.from)
  const lacks = [...new Set(meeting.flatMap((i) => i.lacks ?? []))].sort()
  const unknown: Record<string, string[]> = {}
  for (const i of meeting)
    for (const [dimension, counters] of Object.entries(i.unknown ?? {})) unknown[dimension] = [...new Set([...(unknown[dimension] ?? []), ...counters])].sort()
  return { ...(lacks.length && { lacks }), ...(Object.keys(unknown).length && { unknown }) }
}
