import { gateAttribute } from '../../shared/gate.js'
import { wellFormed } from '../../shared/well-formed.js'
import type { Row } from '../rows.js'
import { dayNumber, localTime, monthNumber, startHour } from '../time-zone.js'

/**
 * What an import reads from another tool's export: tables of lines (daily sums, or one line per
 * page view), each line checked column by column and turned into the marginal counts it adds. plausible.ts and goatcounter.ts
 * describe their tables; this file holds what every import does the same way.
 */

/** What one line adds: the counts of one value of a dimension on its day (`total`: the day's totals). */
export interface Contribution {
  dimension: string
  parent: string
  value: string
  counts: Record<string, number>
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
  /** Text columns the header must name. */
  text: readonly string[]
  /** Count columns the header must name: whole numbers, 0 or more. */
  counts: readonly string[]
  /** Count columns that only newer exports have. */
  optional?: readonly string[]
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

/** The header of a table's file: which column is which, and the columns that have no use here. */
export interface Header {
  index: Record<string, number>
  ignored: string[]
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
  const missing = [time, ...table.text, ...table.counts].filter((c) => index[c] === undefined)
  if (missing.length) return { missing }
  const known = new Set([time, ...table.text, ...table.counts, ...(table.optional ?? [])])
  return { index, ignored: fields.filter((f) => !known.has(f.trim())) }
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
  for (const column of table.text) {
    const value = at(column)
    if (value.length > TEXT_MAX) return { ok: false, rule: `${column} must be at most ${TEXT_MAX} characters (has ${value.length})` }
    if (CONTROL.test(value)) return { ok: false, rule: `${column} ${JSON.stringify(value)} must not contain control characters (U+0000 to U+001F, U+007F)` }
    text[column] = wellFormed(value)
  }
  const counts: Record<string, number> = {}
  for (const column of [...table.counts, ...(table.optional ?? []).filter((c) => header.index[c] !== undefined)]) {
    const value = at(column)
    // Newer exports leave a column empty where nothing was measured.
    if (value === '' && table.optional?.includes(column)) continue
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
    merge(rows, 'daily', key, day, dimension, parent, value, counts)
    merge(rows, 'monthly', key, month, dimension, parent, value, counts)
    if (dimension === 'total') {
      const recorded = (counts.views ?? 0) + (counts.events ?? 0) + (counts.visits ?? 0)
      merge(rows, 'totals', key, hour ?? firstHour(timezone, date), '', '', '', { ...counts, undetailed: recorded })
    }
  }
}

/**
 * rows.ts mergeRow for the rows of one import, keyed without JSON: a GoatCounter line adds some
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
  counts: Record<string, number>,
) {
  const id = `${table}\u0001${time}\u0001${dimension}\u0001${parent}\u0001${value}`
  const held = rows.get(id)
  if (!held) rows.set(id, { table, site, time, dims: table === 'totals' ? {} : { dimension, parent, value }, counts: { ...counts } })
  else for (const counter in counts) held.counts[counter] = (held.counts[counter] ?? 0) + counts[counter]!
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
