import { gateAttribute } from '../../shared/gate.js'
import { wellFormed } from '../../shared/well-formed.js'
import type { Row } from '../schema.js'
import { dayNumber, localTime, monthNumber, startHour } from '../sites/time-zone.js'

/**
 * What an import reads from another tool's export: tables of lines (daily sums, or one line per
 * page view), each line checked column by column and turned into the marginal counts it adds. formats/plausible/ and formats/goatcounter/
 * describe their tables; this file holds what every import does the same way.
 */

/**
 * What one line adds: the counts of one value of a dimension on its day (`total`: the day's
 * totals). What the line does not say is undefined, never 0 (docs/import.md, "Older exports"):
 * a count it has no column for is not known, and a value it has no column for (an older export
 * without browser versions) means the import holds nothing of that dimension.
 */
export interface Contribution {
  dimension: string
  parent: string
  value: string | undefined
  counts: Record<string, number | undefined>
}

/** When a line was counted: its site-local day, and for a line that says its instant, the UTC hour. */
export interface LineTime {
  date: string
  hour?: number
}

/**
 * A table of an export. `Memory` is what a table remembers from line to line of one pass over its
 * files (GoatCounter: the sessions of the latest days, to count each visit once); most tables
 * need none and read each line alone.
 */
export interface ExportTable<Memory = unknown> {
  name: string
  /**
   * The column that holds each line's instant (RFC 3339, as GoatCounter writes one line per page
   * view), counted in the site-local day of its hour. Without it, the line's day is its `date`
   * column (YYYY-MM-DD): tools that export daily sums (Plausible) have already counted in the
   * site's zone.
   */
  instant?: string
  /** Text columns the header names. */
  text: readonly string[]
  /** Count columns the header names: whole numbers, 0 or more, or empty where nothing was counted. */
  counts: readonly string[]
  /**
   * Columns (text or counts) that older exports lack, each with what an export without it lacks,
   * said in the import's notes ('' when nothing kept depends on it). Every other column is required.
   */
  newer?: Readonly<Record<string, string>>
  /** What an export without this table lacks, said in the import's notes ('' when nothing kept depends on it). */
  missing?: string
  /** A rule of the header beyond the columns it names (a format version): what it breaks, or undefined. */
  header?: (names: string[]) => string | undefined
  /** A rule of the table's own beyond the columns' shapes: what the line breaks, or undefined. */
  check?: (text: Record<string, string>) => string | undefined
  /** Why a well-formed line is left out (a bot's page view), or undefined: such lines are counted by reason and said, never written. */
  skip?: (text: Record<string, string>) => string | undefined
  /** A fresh memory for one pass over the table's files, which are read in name order. */
  memory?: () => Memory
  contributions(text: Record<string, string>, counts: Record<string, number>, time: LineTime, memory: Memory): Contribution[]
  /** The column a dimension's value comes from, where its name is not the dimension's (for the message of a refused value). */
  columns?: Record<string, string>
  /** What the pass learned that the user should be told (its memory's doubts), after the write. */
  notes?(memory: Memory): string[]
}

/** A checked line: when it was counted and its values, or the rule it broke. `skip` says why a good line is left out. */
export type Line = { ok: true; time: LineTime; text: Record<string, string>; counts: Record<string, number>; skip: string | undefined } | { ok: false; rule: string }

/** The header of a table's file: which column is which, the columns that have no use here, and the newer ones it lacks. */
export interface Header {
  index: Record<string, number>
  ignored: string[]
  absent: string[]
}

/** Reads a header line, or says which required column is missing or which rule of the table's header it breaks. */
export function readHeader(table: ExportTable, fields: string[]): Header | { missing: string[] } | { broken: string } {
  const broken = table.header?.(fields.map((f) => f.trim()))
  if (broken) return { broken }
  const index: Record<string, number> = {}
  fields.forEach((name, i) => {
    index[name.trim()] ??= i
  })
  const time = table.instant ?? 'date'
  const columns = [time, ...table.text, ...table.counts]
  const newer = (column: string) => Object.hasOwn(table.newer ?? {}, column)
  const missing = columns.filter((c) => index[c] === undefined && !newer(c))
  if (missing.length) return { missing }
  const known = new Set(columns)
  return { index, ignored: fields.filter((f) => !known.has(f.trim())), absent: columns.filter((c) => index[c] === undefined) }
}

const HOUR = 3_600_000
/** RFC 3339's date-time: seconds required, a fraction allowed, `Z` or a numeric offset. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** The milliseconds since the epoch of an RFC 3339 time, or undefined when it is none (a 30 February, an hour 24) or before 1970. */
export function readInstant(text: string): number | undefined {
  const m = INSTANT.exec(text)
  if (!m) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [oh, om] = m[7] ? [0, 0] : [Number(m[9]), Number(m[10])]
  if (h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return undefined
  const local = Date.UTC(y, mo - 1, d, h, mi, s)
  // Date.UTC rolls a 30 February over into March: the day read back must be the one written.
  const check = new Date(local)
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined
  const ms = local - (m[8] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000
  return ms >= 0 ? ms : undefined
}

/**
 * The site-local day and UTC hour of an instant, as the collector counts a beacon: in the hour it
 * falls in, and that hour in the local day it starts in (time-zone.ts calendar()), so that in a
 * zone of a half-hour offset an import and the collector put the same minute on the same day.
 */
function timeOf(ms: number, timezone: string): LineTime {
  const hour = Math.floor(ms / HOUR)
  return { date: dayOfHour(timezone, hour), hour }
}

/**
 * Zone arithmetic, remembered: Intl's formatToParts takes some 12 µs a call, and startHour() calls
 * it a dozen times or more, where an export's lines share few hours and days. Bounded: cleared
 * when full, which costs a recomputation and nothing else.
 */
function remembered<K, V>(compute: (timezone: string, key: K) => V): (timezone: string, key: K) => V {
  const held = new Map<string, V>()
  return (timezone, key) => {
    const id = `${timezone} ${key}`
    let value = held.get(id)
    if (value === undefined) {
      if (held.size >= 100_000) held.clear()
      held.set(id, (value = compute(timezone, key)))
    }
    return value
  }
}
const dayOfHour = remembered((timezone, hour: number) => localTime(hour * HOUR, timezone).date)
const firstHour = remembered((timezone, date: string) => startHour(date, timezone))

const DATE = /^\d{4}-\d{2}-\d{2}$/
/** Characters of a text field: longer than anything a tool writes for a page or a name. */
const TEXT_MAX = 2_000
/** The largest count a line may carry: far above a day of any site, far below where sums lose precision. */
export const COUNT_MAX = 1e12

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are matched on purpose, to refuse a field holding one
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Checks a data line of `table` against its header, and finds its site-local day (in `timezone`
 * when the line says an instant); text is made well-formed (a lone surrogate becomes U+FFFD), as
 * every store then keeps it.
 */
export function readLine(table: ExportTable, header: Header, fields: string[], timezone: string): Line {
  const at = (column: string) => fields[header.index[column]!] ?? ''
  // A column an older export lacks gives the line no value and no count: not known, never ''/0.
  const has = (column: string) => header.index[column] !== undefined
  let time: LineTime
  if (table.instant) {
    const value = at(table.instant)
    const ms = readInstant(value)
    if (ms === undefined) return { ok: false, rule: `${table.instant} ${JSON.stringify(value)} must be an RFC 3339 time from 1970, e.g. 2024-01-31T23:59:59Z` }
    time = timeOf(ms, timezone)
  } else {
    const date = at('date')
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date || date < '1970-01-01')
      return { ok: false, rule: `date ${JSON.stringify(date)} must be a day YYYY-MM-DD from 1970-01-01` }
    time = { date }
  }
  const text: Record<string, string> = {}
  for (const column of table.text.filter(has)) {
    const value = at(column)
    if (value.length > TEXT_MAX) return { ok: false, rule: `${column} must be at most ${TEXT_MAX} characters (has ${value.length})` }
    if (CONTROL.test(value)) return { ok: false, rule: `${column} ${JSON.stringify(value)} must not contain control characters (U+0000 to U+001F, U+007F)` }
    text[column] = wellFormed(value)
  }
  const counts: Record<string, number> = {}
  for (const column of table.counts.filter(has)) {
    const value = at(column)
    // Exports leave a count empty where nothing was measured (Plausible's scroll depth before it
    // had one), and QuietCount's export where it knows none: not known, so not counted.
    if (value === '') continue
    if (!/^\d{1,13}$/.test(value) || Number(value) > COUNT_MAX) return { ok: false, rule: `${column} ${JSON.stringify(value)} must be a whole number from 0 to ${COUNT_MAX}` }
    counts[column] = Number(value)
  }
  const broken = table.check?.(text)
  if (broken) return { ok: false, rule: broken }
  return { ok: true, time, text, counts, skip: table.skip?.(text) }
}

/**
 * Adds a line's contributions, as rows of the marginal tier under `key`, to `rows`: the day's and
 * the month's row of each, and for the day's totals its hourly `totals` row, marked undetailed so
 * that no filtered query answers these days from a detail tier that lacks them. The totals go to
 * the line's hour when it has one, else to the day's first hour (a daily sum has no hour).
 */
export function addRows(rows: Map<string, Row>, key: string, timezone: string, { date, hour }: LineTime, contributions: readonly Contribution[]): void {
  const day = dayNumber(date)
  const month = monthNumber(date)
  for (const { dimension, parent, value, counts } of contributions) {
    // A value the export does not have is no row (Gaps records that the import lacks it).
    if (value === undefined) continue
    merge(rows, 'daily', key, day, dimension, parent, value, counts)
    merge(rows, 'monthly', key, month, dimension, parent, value, counts)
    if (dimension === 'total') {
      const recorded = (counts.views ?? 0) + (counts.events ?? 0) + (counts.visits ?? 0)
      merge(rows, 'totals', key, hour ?? firstHour(timezone, date), '', '', '', { ...counts, undetailed: recorded })
    }
  }
}

/**
 * schema.ts mergeRow for the rows of one import, keyed without JSON: a GoatCounter line adds some
 * twenty rows, and the key's JSON.stringify was the largest part of its cost. The key joins the
 * fields with U+0001, which readLine refuses in any text, so that two rows never share one.
 */
function merge(
  rows: Map<string, Row>,
  table: 'daily' | 'monthly' | 'totals',
  site: string,
  time: number,
  dimension: string,
  parent: string,
  value: string,
  counts: Record<string, number | undefined>,
) {
  const id = `${table}\u0001${time}\u0001${dimension}\u0001${parent}\u0001${value}`
  let held = rows.get(id)
  if (!held) rows.set(id, (held = { table, site, time, dims: table === 'totals' ? {} : { dimension, parent, value }, counts: {} }))
  // A count not known adds nothing here: Gaps records it, and the stats say it is not known.
  for (const counter in counts) if (counts[counter] !== undefined) held.counts[counter] = (held.counts[counter] ?? 0) + counts[counter]
}

/**
 * What an import does not know, gathered from its contributions (docs/import.md, "Older
 * exports"): the dimensions it holds no value of, and per dimension the counters it holds no count
 * of. The registry keeps both with the import; the stats show a figure made of an unknown count
 * as not known (null), and a breakdown the import lacks as counting only QuietCount's own days.
 */
export interface Gaps {
  lacks: Set<string>
  unknown: Map<string, Set<string>>
}

export const noGaps = (): Gaps => ({ lacks: new Set(), unknown: new Map() })

/**
 * Adds what `contributions` do not say to `gaps`. For a table the export has no file of, they are
 * what a line without any column gives: every count they would have carried is not known (a
 * dimension may still have values from another table: a page's visits come from entry_pages).
 */
export function addGaps(gaps: Gaps, contributions: readonly Contribution[], tableMissing = false): void {
  for (const { dimension, value, counts } of contributions) {
    if (value === undefined && !tableMissing) gaps.lacks.add(dimension)
    else for (const counter in counts) if (counts[counter] === undefined) addUnknown(gaps, dimension, counter)
  }
}

export function addUnknown(gaps: Gaps, dimension: string, counter: string): void {
  let counters = gaps.unknown.get(dimension)
  if (!counters) gaps.unknown.set(dimension, (counters = new Set()))
  counters.add(counter)
}

/**
 * gateAttribute, remembered: an export repeats its browsers, countries, pages and referrers on
 * line after line, and each of its lines is gated twice (check and write). Bounded: cleared when
 * full, which costs a recomputation and nothing else.
 */
const answers = new Map<string, ReturnType<typeof gateAttribute>>()
function gateRemembered(dimension: string, parent: string, value: string) {
  const key = `${dimension}\u0001${parent}\u0001${value}`
  let kept = answers.get(key)
  if (!kept) {
    if (answers.size >= 100_000) answers.clear()
    answers.set(key, (kept = gateAttribute(dimension, parent, value)))
  }
  return kept
}

/**
 * A line's contributions as they will be stored: each value and parent through the gate
 * (src/shared/gate.ts), scrubbed or refused exactly as the collector scrubs or refuses a beacon's.
 * A refusal names the column and the value and says the rule.
 */
export function gated(table: ExportTable, text: Record<string, string>, contributions: readonly Contribution[]): Contribution[] | { refused: string } {
  const out: Contribution[] = []
  for (const contribution of contributions) {
    // A value the export does not have (an older shape's missing column) is not stored: nothing to gate.
    if (contribution.value === undefined) {
      out.push(contribution)
      continue
    }
    const kept = gateRemembered(contribution.dimension, contribution.parent, contribution.value)
    if ('refused' in kept) {
      const column = table.columns?.[contribution.dimension] ?? contribution.dimension
      return { refused: `${column} ${JSON.stringify(text[column] ?? kept.value)}: ${kept.refused}` }
    }
    out.push({ ...contribution, ...kept })
  }
  return out
}

/** A page as exports write it, without its query and fragment (the gate scrubs it as the collector would). */
export function page(text: string): string {
  const path = text.split(/[?#]/)[0]!
  return path.startsWith('/') ? path : `/${path}`
}

/** A referrer as exports write it ("news.example.org/item?id=1", with or without a scheme) as a host, '' for none (the gate scrubs it). */
export function referrerOf(text: string): string {
  if (text === '') return ''
  try {
    return new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `https://${text}`).hostname
  } catch {
    return ''
  }
}
