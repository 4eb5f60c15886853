/**
 * Counter rows: what the collector stores. One row per (site, hour, dimension tuple) and table,
 * with summed counters; never a raw event. The column lists below are the only names that ever
 * reach SQL, so every store builds its statements from them and from nothing a request says.
 */
export const TABLES = {
  pages: {
    dimensions: ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'browser_version', 'os', 'device'],
    counters: ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll'],
  },
  events: {
    dimensions: ['name', 'path', 'props', 'country', 'language', 'screen', 'browser', 'os', 'device'],
    counters: ['count'],
  },
  consents: {
    dimensions: ['decision', 'categories'],
    counters: ['count'],
  },
} as const

export type Table = keyof typeof TABLES
export type Dimension<T extends Table = Table> = (typeof TABLES)[T]['dimensions'][number]
export type Counter<T extends Table = Table> = (typeof TABLES)[T]['counters'][number]

export interface Row<T extends Table = Table> {
  table: T
  site: string
  /** Whole hours since the Unix epoch, UTC. */
  hour: number
  /** Every dimension of the table; an absent value is '' (so that it can be part of a key). */
  dims: Record<string, string>
  counts: Record<string, number>
}

/** The identity of a row: rows with the same key are merged by summing their counts. */
export const rowKey = (row: Row) => JSON.stringify([row.table, row.site, row.hour, ...TABLES[row.table].dimensions.map((d) => row.dims[d] ?? '')])

/** Adds `row` into `rows` (keyed by rowKey), summing counts into an existing row of the same key. */
export function mergeRow(rows: Map<string, Row>, row: Row): void {
  const key = rowKey(row)
  const held = rows.get(key)
  if (!held) rows.set(key, { ...row, dims: { ...row.dims }, counts: { ...row.counts } })
  else for (const counter of TABLES[row.table].counters) held.counts[counter] = (held.counts[counter] ?? 0) + (row.counts[counter] ?? 0)
}
