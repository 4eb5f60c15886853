import { dimensionsOf } from '../shared/dimensions.js'

/**
 * The tables of a store, derived from the dimension registry (src/shared/dimensions.ts). Two
 * tiers, by age (docs/architecture.md):
 *
 * - **Detail**: `detail_pages` and `detail_events`, one row per (site, UTC hour, whole tuple of
 *   dimensions), kept for the site's detail window only. Any combination of filters is answered
 *   from them.
 * - **Marginals**: `daily` and `monthly`, one row per (site, site-local day or month, dimension,
 *   value), and `totals` per (site, UTC hour). Kept for ever unless the site sets a number of
 *   months; no row holds more than one attribute of a page view.
 *
 * These lists are the only names that ever reach SQL: every store builds its statements from them
 * and from nothing a request says.
 */

const PAGE_COUNTERS = ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll'] as const

/** The columns of the marginal tables' key after the period: which dimension, and its value. */
const MARGINAL_KEY = ['dimension', 'parent', 'value']

export interface TableSpec {
  /** The time column: whole UTC hours, site-local days or site-local months since the epoch. */
  time: 'hour' | 'day' | 'month'
  dimensions: readonly string[]
  counters: readonly string[]
  /** The primary key, in order; `site` first everywhere. */
  key: readonly string[]
  tier: 'detail' | 'marginal'
}

const detailDimensions = (records: 'pages' | 'events') =>
  dimensionsOf(records)
    .filter((d) => d.detail)
    .map((d) => d.name)
const DETAIL_PAGES = detailDimensions('pages')
// An event's props are one JSON object in the detail tier ({"plan":"pro"}), sorted by key.
const DETAIL_EVENTS = [...detailDimensions('events'), 'props']

export const TABLES = {
  detail_pages: { time: 'hour', dimensions: DETAIL_PAGES, counters: PAGE_COUNTERS, key: ['site', 'hour', ...DETAIL_PAGES], tier: 'detail' },
  detail_events: { time: 'hour', dimensions: DETAIL_EVENTS, counters: ['events'], key: ['site', 'hour', ...DETAIL_EVENTS], tier: 'detail' },
  // `undetailed` counts records that were added here without their detail rows (the site's
  // detail window was 0, or they were imported): the hour then cannot be answered from detail.
  totals: { time: 'hour', dimensions: [], counters: [...PAGE_COUNTERS, 'events', 'undetailed'], key: ['site', 'hour'], tier: 'marginal' },
  // Clustered by dimension first, so one dimension's values over a range of days are one scan,
  // and a value's days are found by seeks on (dimension, day, parent, value).
  daily: { time: 'day', dimensions: MARGINAL_KEY, counters: [...PAGE_COUNTERS, 'events', 'decisions'], key: ['site', 'dimension', 'day', 'parent', 'value'], tier: 'marginal' },
  monthly: {
    time: 'month',
    dimensions: MARGINAL_KEY,
    counters: [...PAGE_COUNTERS, 'events', 'decisions'],
    key: ['site', 'dimension', 'month', 'parent', 'value'],
    tier: 'marginal',
  },
} as const satisfies Record<string, TableSpec>

export type Table = keyof typeof TABLES

/**
 * The marginal rows of every record, whatever its attributes: a site-local day's (or month's)
 * totals. They hold no attribute at all; the hourly `totals` answer hourly charts and say which
 * hours have detail, these answer a year's top line and chart in twelve rows instead of 8,760.
 */
export const TOTAL = { dimension: 'total', parent: '', value: '' }

export interface Row {
  table: Table
  site: string
  /** The table's time column: hours, days or months since the epoch (see TableSpec). */
  time: number
  /** Every dimension of the table; an absent value is '' (so that it can be part of a key). */
  dims: Record<string, string>
  counts: Record<string, number>
}

/**
 * The identity of a row: rows with the same key are merged by summing their counts. Each text is
 * prefixed with its length, so that no value, whatever characters it holds, can make two
 * different rows' keys equal; cheaper than JSON for the ~30 rows of every beacon.
 */
export function rowKey(row: Row): string {
  let key = `${row.table} ${row.time} ${row.site.length}:${row.site}`
  for (const d of TABLES[row.table].dimensions) {
    const value = row.dims[d] ?? ''
    key += ` ${value.length}:${value}`
  }
  return key
}

/** Adds `row` into `rows` (keyed by rowKey), summing counts into an existing row of the same key. */
export function mergeRow(rows: Map<string, Row>, row: Row): void {
  const key = rowKey(row)
  const held = rows.get(key)
  if (!held) rows.set(key, { ...row, dims: { ...row.dims }, counts: { ...row.counts } })
  else for (const counter of TABLES[row.table].counters) held.counts[counter] = (held.counts[counter] ?? 0) + (row.counts[counter] ?? 0)
}

/**
 * What Store.expireMarginals deletes, per marginal table: its time column and the bound before
 * which a site's rows go, or no bound for `Number.POSITIVE_INFINITY` (every row of the site goes;
 * SQL integers hold no infinity, so the condition is left out). Checked here, once for every
 * store, so that no NaN, fraction or -Infinity reaches SQL.
 */
export function marginalBounds(before: { hour: number; day: number; month: number }): { table: Table; time: 'hour' | 'day' | 'month'; before?: number }[] {
  return (Object.keys(TABLES) as Table[])
    .filter((table) => TABLES[table].tier === 'marginal')
    .map((table) => {
      const time = TABLES[table].time
      const bound = before[time]
      if (bound === Number.POSITIVE_INFINITY) return { table, time }
      if (!Number.isSafeInteger(bound)) throw new Error(`expireMarginals: the ${time} bound ${String(bound)} must be a whole number or Infinity`)
      return { table, time, before: bound }
    })
}
