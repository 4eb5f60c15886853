import { wellFormed } from '../../shared/well-formed.js'
import { mergeRow, type Row } from '../rows.js'
import { dayNumber, monthNumber, startHour } from '../time-zone.js'

/**
 * What an import reads from another tool's export: tables of daily lines, each line checked
 * column by column and turned into the marginal counts it adds. plausible.ts and goatcounter.ts
 * describe their tables; this file holds what every import does the same way.
 */

/** What one line adds: the counts of one value of a dimension on its day (`total`: the day's totals). */
export interface Contribution {
  dimension: string
  parent: string
  value: string
  counts: Record<string, number>
}

export interface ExportTable {
  name: string
  /** Text columns the header must name. */
  text: readonly string[]
  /** Count columns the header must name: whole numbers, 0 or more. */
  counts: readonly string[]
  /** Count columns that only newer exports have. */
  optional?: readonly string[]
  /** A rule of the table's own beyond the columns' shapes: what the line breaks, or undefined. */
  check?: (text: Record<string, string>) => string | undefined
  contributions(text: Record<string, string>, counts: Record<string, number>): Contribution[]
}

/** A checked line: its site-local day and what it adds, or the rule it broke. */
export type Line = { ok: true; date: string; contributions: Contribution[] } | { ok: false; rule: string }

/** The header of a table's file: which column is which, and the columns that have no use here. */
export interface Header {
  index: Record<string, number>
  ignored: string[]
}

/** Reads a header line, or says which required column is missing. */
export function readHeader(table: ExportTable, fields: string[]): Header | { missing: string[] } {
  const index: Record<string, number> = {}
  fields.forEach((name, i) => {
    index[name.trim()] ??= i
  })
  const missing = ['date', ...table.text, ...table.counts].filter((c) => index[c] === undefined)
  if (missing.length) return { missing }
  const known = new Set(['date', ...table.text, ...table.counts, ...(table.optional ?? [])])
  return { index, ignored: fields.filter((f) => !known.has(f.trim())) }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
/** Characters of a text field: longer than anything a tool writes for a page or a name. */
const TEXT_MAX = 2_000
/** The largest count a line may carry: far above a day of any site, far below where sums lose precision. */
export const COUNT_MAX = 1e12

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are matched on purpose, to refuse a field holding one
const CONTROL = /[\u0000-\u001f\u007f]/

/** Checks a data line of `table` against its header; text is made well-formed (a lone surrogate becomes U+FFFD), as every store then keeps it. */
export function readLine(table: ExportTable, header: Header, fields: string[]): Line {
  const at = (column: string) => fields[header.index[column]!] ?? ''
  const date = at('date')
  if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date || date < '1970-01-01')
    return { ok: false, rule: `date ${JSON.stringify(date)} must be a day YYYY-MM-DD from 1970-01-01` }
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
  return { ok: true, date, contributions: table.contributions(text, counts) }
}

/**
 * Adds a line's contributions, as rows of the marginal tier under `key`, to `rows`: the day's and
 * the month's row of each, and for the day's totals its hourly `totals` row at the day's first hour,
 * marked undetailed so that no filtered query answers these days from a detail tier that lacks them.
 */
export function addRows(rows: Map<string, Row>, key: string, timezone: string, date: string, contributions: readonly Contribution[]): void {
  const day = dayNumber(date)
  const month = monthNumber(date)
  for (const { dimension, parent, value, counts } of contributions) {
    const dims = { dimension, parent, value }
    mergeRow(rows, { table: 'daily', site: key, time: day, dims, counts })
    mergeRow(rows, { table: 'monthly', site: key, time: month, dims, counts })
    if (dimension === 'total') {
      const recorded = (counts.views ?? 0) + (counts.events ?? 0) + (counts.visits ?? 0)
      mergeRow(rows, { table: 'totals', site: key, time: startHour(date, timezone), dims: {}, counts: { ...counts, undetailed: recorded } })
    }
  }
}
