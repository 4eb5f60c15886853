import { type Row, TABLES, type Table } from '../rows.js'
import type { AggregateQuery } from './store.js'

/**
 * SQL shared by the stores that speak standard SQL with upserts (SQLite, PostgreSQL). Only the
 * placeholder style and the integer type differ. Names come from TABLES, values are always
 * bound parameters.
 */
export interface Dialect {
  /** The n-th placeholder (1-based): `?` or `$n`. */
  placeholder(n: number): string
  /** Type of counters and hours: large enough for years of traffic. */
  integer: string
}

/** The table's DDL; `name` lets a migration build a replacement beside it. */
export function createTable(table: Table, dialect: Dialect, name: string = table): string {
  const { dimensions, counters } = TABLES[table]
  return `CREATE TABLE IF NOT EXISTS ${name} (
  site TEXT NOT NULL,
  hour ${dialect.integer} NOT NULL,
  ${dimensions.map((d) => `${d} TEXT NOT NULL DEFAULT ''`).join(',\n  ')},
  ${counters.map((c) => `${c} ${dialect.integer} NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (site, hour, ${dimensions.join(', ')})
)`
}

/** One upsert for one row of `table`: the counters of an existing row are added to. */
export function upsert(table: Table, dialect: Dialect): string {
  const { dimensions, counters } = TABLES[table]
  const columns = ['site', 'hour', ...dimensions, ...counters]
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => dialect.placeholder(i + 1)).join(', ')}) ` +
    `ON CONFLICT (site, hour, ${dimensions.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`
  )
}

/** The bound values of `row` in the order of upsert()'s columns. */
export const upsertValues = (row: Row): (string | number)[] => {
  const { dimensions, counters } = TABLES[row.table]
  return [row.site, row.hour, ...dimensions.map((d) => row.dims[d] ?? ''), ...counters.map((c) => row.counts[c] ?? 0)]
}

/** Checks every name in a query against TABLES: nothing else may reach SQL. */
export function checkQuery(query: AggregateQuery): { groupBy: string[]; filters: [string, string][] } {
  const { dimensions } = TABLES[query.table] ?? {}
  if (!dimensions) throw new Error(`unknown table ${JSON.stringify(query.table)} (allowed: ${Object.keys(TABLES).join(', ')})`)
  const allowed = new Set<string>([...dimensions, 'hour'])
  const groupBy = query.groupBy ?? []
  const filters = Object.entries(query.filters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined)
  for (const name of [...groupBy, ...filters.map(([d]) => d)]) {
    if (!allowed.has(name) || (name == 'hour' && filters.some(([d]) => d == 'hour'))) throw new Error(`${query.table} has no dimension ${JSON.stringify(name)}`)
  }
  return { groupBy, filters }
}

/** SELECT of the summed counters, grouped; values bound in the returned order. */
export function aggregate(query: AggregateQuery, dialect: Dialect): { text: string; values: (string | number)[] } {
  const { groupBy, filters } = checkQuery(query)
  const values: (string | number)[] = [query.site, query.from, query.to, ...filters.map(([, v]) => v)]
  const where = ['site', 'hour >=', 'hour <', ...filters.map(([d]) => d)].map((c, i) => `${c.includes(' ') ? c : c + ' ='} ${dialect.placeholder(i + 1)}`)
  const sums = TABLES[query.table].counters.map((c) => `SUM(${c}) AS ${c}`)
  const group = groupBy.length ? ` GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : ''
  return { text: `SELECT ${[...groupBy, ...sums].join(', ')} FROM ${query.table} WHERE ${where.join(' AND ')}${group}`, values }
}
