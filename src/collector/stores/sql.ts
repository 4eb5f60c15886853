import type { Weight } from '../../shared/dimensions.js'
import { TABLES, type TableSpec } from '../schema.js'
import type { AggregateQuery, AggregateRow } from './store.js'

/**
 * The SELECT of an aggregate query, for all three stores: they differ only in how a value is
 * bound, how a table is named, a function name, and byte-order comparison. Names come from
 * TABLES and are checked first (checkQuery); values are bound parameters, or for ClickHouse
 * escaped literals.
 */
export interface Dialect {
  /** A value as SQL: a placeholder, its value pushed onto `values`, or (ClickHouse) an escaped literal. */
  bind(value: string | number, values: unknown[]): string
  /** A table's name in SQL. */
  table(name: string): string
  /** The function returning the larger of two numbers. */
  greatest: string
  /** Appended to a text column in ORDER BY for byte order, which is JavaScript's code point order (PostgreSQL: ` COLLATE "C"`). */
  byteOrder: string
  /**
   * Whether a short range of hours or days is read as `time IN (…)` when the key column after
   * time is filtered: one seek per period in a clustered key (SQLite, PostgreSQL) instead of a
   * scan over every value of every period. ClickHouse reads ranges of granules either way.
   */
  enumerate: boolean
  /** ` MATERIALIZED` where a common table expression read twice must be computed once by asking (PostgreSQL 12 and later, SQLite). */
  materialized: string
}

/** The weight of a group, over the grouped query's summed columns. */
export function weightSql(weight: Weight, dialect: Dialect): string {
  return weight === 'people' ? `${dialect.greatest}(visitors_day, visits)` : weight
}

/** Checks every name in a query against TABLES: nothing else may reach SQL. */
export function checkQuery(query: AggregateQuery): { spec: TableSpec; groupBy: string[]; filters: [string, string][] } {
  if (!Array.isArray(query.parts) || !query.parts.length) throw new Error('a query needs at least one part (a table and a range)')
  const specs = query.parts.map((part) => {
    const spec = Object.hasOwn(TABLES, part.table) ? TABLES[part.table] : undefined
    if (!spec) throw new Error(`unknown table ${JSON.stringify(part.table)} (allowed: ${Object.keys(TABLES).join(', ')})`)
    for (const bound of [part.from, part.to]) if (!Number.isSafeInteger(bound)) throw new Error(`time ${JSON.stringify(bound)} is not an integer`)
    return spec
  })
  const spec = specs[0]!
  if (specs.some((s) => s.dimensions.join() !== spec.dimensions.join() || s.counters.join() !== spec.counters.join()))
    throw new Error('the parts of a query must be tables of the same columns')
  const groupBy = query.groupBy ?? []
  const filters = Object.entries(query.filters ?? {})
  for (const name of [...groupBy, ...filters.map(([d]) => d)]) {
    if (!(spec.dimensions as readonly string[]).includes(name) && !(name === 'time' && groupBy.includes(name)))
      throw new Error(`${query.parts[0]!.table} has no dimension ${JSON.stringify(name)}`)
  }
  for (const [name, value] of filters) if (typeof value !== 'string') throw new Error(`filter ${name}: not a string: ${JSON.stringify(value)}`)
  if (typeof query.site !== 'string') throw new Error(`site: not a string: ${JSON.stringify(query.site)}`)
  if (query.imports && !(Array.isArray(query.imports) && query.imports.every((key) => typeof key === 'string')))
    throw new Error(`imports: not a list of strings: ${JSON.stringify(query.imports)}`)
  if (groupBy.includes('time') && query.parts.length > 1) throw new Error('grouping by time takes one part')
  const weighted = query.weight !== undefined || query.min !== undefined || query.below !== undefined || query.limit !== undefined || query.fold || query.counted
  if (weighted && !query.weight) throw new Error('min, below, limit, counted and fold need a weight')
  if (query.weight && !(query.weight === 'people' ? ['visitors_day', 'visits'] : [query.weight]).every((c) => (spec.counters as readonly string[]).includes(c))) {
    throw new Error(`${query.parts[0]!.table} has no weight ${JSON.stringify(query.weight)}`)
  }
  for (const counter of query.counted ?? [])
    if (!(spec.counters as readonly string[]).includes(counter)) throw new Error(`${query.parts[0]!.table} has no counter ${JSON.stringify(counter)}`)
  for (const bound of [query.min, query.below, query.limit])
    if (bound !== undefined && !Number.isSafeInteger(bound)) throw new Error(`bound ${JSON.stringify(bound)} is not an integer`)
  return { spec, groupBy, filters }
}

/** The WHERE of one part: site, time range (or enumerated periods), filters. */
function partWhere(query: AggregateQuery, index: number, dialect: Dialect, values: unknown[]): string {
  const part = query.parts[index]!
  const spec = TABLES[part.table]
  const filters = Object.entries(query.filters ?? {})
  const key: readonly string[] = spec.key
  const afterTime = key[key.indexOf(spec.time) + 1]
  const enumerate = dialect.enumerate && part.to - part.from <= 2000 && filters.some(([d]) => d === afterTime)
  const time = enumerate
    ? part.to > part.from
      ? `${spec.time} IN (${Array.from({ length: part.to - part.from }, (_, i) => part.from + i).join(', ')})`
      : '1 = 0'
    : `${spec.time} >= ${part.from} AND ${spec.time} < ${part.to}`
  const sites = [query.site, ...(query.imports ?? [])]
  const site = sites.length === 1 ? `site = ${dialect.bind(query.site, values)}` : `site IN (${sites.map((s) => dialect.bind(s, values)).join(', ')})`
  return [site, time, ...filters.map(([d, v]) => `${d} = ${dialect.bind(v, values)}`)].join(' AND ')
}

/** The rows a query reads, before grouping: for a store that gathers them once for several queries (SQLite's temp table). */
export function scan(query: AggregateQuery, dialect: Dialect): { text: string; values: unknown[] } {
  checkQuery(query)
  const values: unknown[] = []
  return { text: `SELECT * FROM ${dialect.table(query.parts[0]!.table)} WHERE ${partWhere(query, 0, dialect, values)}`, values }
}

/** The grouped SELECT of a query (its sums per group, before any weight), and the checked names. */
function grouped(query: AggregateQuery, dialect: Dialect, values: unknown[], source?: string) {
  const { spec, groupBy, filters } = checkQuery(query)
  const columns = groupBy.map((g) => (g === 'time' ? `${spec.time} AS time` : g))
  const sums = spec.counters.map((c) => `SUM(${c}) AS ${c}`)
  let from: string
  if (source) from = source
  else if (query.parts.length === 1) from = `${dialect.table(query.parts[0]!.table)} WHERE ${partWhere(query, 0, dialect, values)}`
  else {
    // Only the columns the query uses: the parts' time columns have different units.
    const used = [...new Set([...groupBy, ...filters.map(([d]) => d)]), ...spec.counters].join(', ')
    from = `(${query.parts.map((part, i) => `SELECT ${used} FROM ${dialect.table(part.table)} WHERE ${partWhere(query, i, dialect, values)}`).join(' UNION ALL ')}) AS parts`
  }
  const text = `SELECT ${[...columns, ...sums].join(', ')} FROM ${from}${groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''}`
  return { text, spec, groupBy, sums }
}

/** How a weighted query cuts the groups: the WHERE of those it keeps, their order, and its LIMIT. */
function cut(query: AggregateQuery & { weight: Weight }, spec: TableSpec, groupBy: string[], dialect: Dialect) {
  // The weight is computed over the grouped sums in an outer query, where the sums are plain columns.
  const weight = weightSql(query.weight, dialect)
  const kept = [
    query.min !== undefined && `${weight} >= ${query.min}`,
    query.below !== undefined && `${weight} < ${query.below}`,
    query.counted?.length && `(${query.counted.map((c) => `${c} <> 0`).join(' OR ')})`,
  ].filter(Boolean)
  const where = kept.length ? ` WHERE ${kept.join(' AND ')}` : ''
  const order = [
    `${weight} DESC`,
    ...((spec.counters as readonly string[]).includes('views') && query.weight !== 'views' ? ['views DESC'] : []),
    ...groupBy.map((g) => `${g}${dialect.byteOrder} ASC`),
  ].join(', ')
  return { where, order, limit: query.limit !== undefined ? ` LIMIT ${query.limit}` : '' }
}

/**
 * The SELECT of a query; values bound in the returned order. `source` reads the rows from a
 * table that already holds exactly the query's rows (made by scan()) instead of its parts.
 */
export function aggregate(query: AggregateQuery, dialect: Dialect, source?: string): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const { text, spec, groupBy, sums } = grouped(query, dialect, values, source)
  if (!query.weight) {
    return { text: text + (groupBy.length ? ` ORDER BY ${groupBy.map((g) => (g === 'time' ? g : g + dialect.byteOrder)).join(', ')}` : ''), values }
  }
  const { where, order, limit } = cut({ ...query, weight: query.weight }, spec, groupBy, dialect)
  // The kept groups are chosen in a query of their own: ClickHouse would read `views` in a WHERE
  // beside `SUM(views) AS views` as the sum itself.
  if (query.fold) return { text: `SELECT ${[...sums, 'COUNT(*) AS folded'].join(', ')} FROM (SELECT * FROM (${text}) AS g${where}) AS kept`, values }
  return { text: `SELECT * FROM (${text}) AS g${where} ORDER BY ${order}${limit}`, values }
}

/**
 * Weighted queries that read the same groups (same site, imports, parts, filters and grouping;
 * they differ in weight, bounds, limit or fold) as one statement that groups once: the page and
 * entry-page panels both rank the `path` marginals, and a k-anonymous panel folds what it
 * leaves out of the same groups. For stores with materialized common table expressions (SQLite,
 * PostgreSQL); `split` gives each query its rows, in order.
 */
export function aggregateTogether(
  queries: AggregateQuery[],
  dialect: Dialect,
  source?: string,
): { text: string; values: unknown[]; split: (rows: Record<string, unknown>[]) => Record<string, unknown>[][] } {
  const values: unknown[] = []
  const { text, spec, groupBy, sums } = grouped(queries[0]!, dialect, values, source)
  if (groupBy.includes('time') || queries.some((q) => !q.weight || groupKey(q) !== groupKey(queries[0]!))) throw new Error('only weighted queries of the same groups go together')
  const columns = [...groupBy, ...spec.counters]
  const arms = queries.map((query, i) => {
    const { where, order, limit } = cut({ ...query, weight: query.weight! }, spec, groupBy, dialect)
    if (query.fold) return `SELECT ${i} AS qc_query, 0 AS qc_rank, ${[...groupBy.map((g) => `NULL AS ${g}`), ...sums, 'COUNT(*) AS folded'].join(', ')} FROM g${where}`
    // The rank keeps each query's order through the UNION, which promises none.
    return `SELECT ${i} AS qc_query, ROW_NUMBER() OVER (ORDER BY ${order}) AS qc_rank, ${columns.join(', ')}, 0 AS folded FROM (SELECT * FROM g${where} ORDER BY ${order}${limit}) AS q${i}`
  })
  const split = (rows: Record<string, unknown>[]) => {
    const answers: Record<string, unknown>[][] = queries.map(() => [])
    for (const { qc_query, qc_rank: _rank, folded, ...row } of rows) answers[Number(qc_query)]!.push(queries[Number(qc_query)]!.fold ? { ...sumsOnly(row, spec), folded } : row)
    return answers
  }
  return { text: `WITH g AS${dialect.materialized} (${text}) ${arms.join(' UNION ALL ')} ORDER BY qc_query, qc_rank`, values, split }
}

const sumsOnly = (row: Record<string, unknown>, spec: TableSpec) => Object.fromEntries(spec.counters.map((c) => [c, row[c]]))

/** What a query reads before it cuts: queries of the same key can be answered by aggregateTogether. */
export const groupKey = (query: AggregateQuery) => JSON.stringify([query.site, query.imports ?? [], query.parts, Object.entries(query.filters ?? {}).sort(), query.groupBy ?? []])

/**
 * The statements of a batch for a store with materialized common table expressions: weighted
 * queries that read the same groups go together (aggregateTogether), the rest one statement
 * each. `source` names the table a query reads instead of its parts (SQLite's shared scans):
 * queries go together only from the same one. `answers` gives each query its rows from the
 * statements' results, in the statements' order.
 */
export function batchStatements(
  queries: AggregateQuery[],
  dialect: Dialect,
  source: (query: AggregateQuery) => string | undefined = () => undefined,
): { statements: { text: string; values: unknown[] }[]; answers: (results: Record<string, unknown>[][]) => Record<string, unknown>[][] } {
  const together = new Map<string, number[]>()
  for (const [i, query] of queries.entries()) {
    if (!query.weight || (query.groupBy ?? []).includes('time')) continue
    const key = JSON.stringify([groupKey(query), source(query) ?? ''])
    together.set(key, [...(together.get(key) ?? []), i])
  }
  const statements: { text: string; values: unknown[] }[] = []
  // Each statement answers one query, or several through a split.
  const readers: ((rows: Record<string, unknown>[], answers: Record<string, unknown>[][]) => void)[] = []
  const done = new Set<number>()
  for (const indexes of together.values()) {
    if (indexes.length < 2) continue
    const { text, values, split } = aggregateTogether(
      indexes.map((i) => queries[i]!),
      dialect,
      source(queries[indexes[0]!]!),
    )
    statements.push({ text, values })
    readers.push((rows, answers) => {
      for (const [k, answer] of split(rows).entries()) answers[indexes[k]!] = answer
    })
    for (const i of indexes) done.add(i)
  }
  for (const [i, query] of queries.entries()) {
    if (done.has(i)) continue
    statements.push(aggregate(query, dialect, source(query)))
    readers.push((rows, answers) => {
      answers[i] = rows
    })
  }
  return {
    statements,
    answers(results) {
      const answers: Record<string, unknown>[][] = []
      for (const [k, read] of readers.entries()) read(results[k]!, answers)
      return answers
    },
  }
}

/** Counters, `time` and `folded` as numbers (drivers return 64-bit sums as strings, and SUM over nothing as null); group values as strings. */
export function numbers(row: Record<string, unknown>, spec: TableSpec): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      (spec.counters as readonly string[]).includes(name) || name === 'time' || name === 'folded' ? Number(value ?? 0) : String(value),
    ]),
  )
}

/**
 * A store's answer to a batch of queries: every query checked (checkQuery) before `run` sends
 * anything, then each query's rows as numbers() makes them.
 */
export async function answerQueries(queries: AggregateQuery[], run: () => Promise<Record<string, unknown>[][]>): Promise<AggregateRow[][]> {
  queries.forEach(checkQuery)
  const answers = await run()
  return answers.map((rows, i) => rows.map((row) => numbers(row, TABLES[queries[i]!.parts[0]!.table])))
}
