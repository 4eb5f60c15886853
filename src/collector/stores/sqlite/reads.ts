import { TABLES } from '../../schema.js'
import { answerQueries, batchStatements, scan } from '../sql.js'
import type { AggregateQuery, AggregateRow } from '../store.js'
import type { SqliteConnections } from './connection.js'
import { dialect } from './dialect.js'
import type { Step } from './worker-connection.js'

/** Store.query: one batch on the read worker, in one read transaction (one snapshot). */
export function query({ reads }: SqliteConnections, queries: AggregateQuery[]): Promise<AggregateRow[][]> {
  return answerQueries(queries, async () => {
    const { steps: batch, answers } = steps(queries)
    return answers(await reads.run(batch))
  })
}

/** Store.detailCutoff. */
export async function detailCutoff({ db }: SqliteConnections, site: string): Promise<number> {
  return (db.prepare('SELECT hour FROM detail_cutoffs WHERE site = ?').pluck().get(site) as number | undefined) ?? 0
}

/** Store.sites: one seek per site on the clustered key, rather than a scan of every hour of every site. */
export async function sites({ db }: SqliteConnections): Promise<string[]> {
  const next = db.prepare('SELECT site FROM totals WHERE site > ? ORDER BY site LIMIT 1').pluck()
  const sites: string[] = []
  for (let site = next.get('') as string | undefined; site !== undefined; site = next.get(site) as string | undefined) sites.push(site)
  return sites
}

/**
 * Store.ping: a statement on the collector's thread's connection, which fails once the store is
 * closed or its file is gone. Neither worker: a commit waiting for a lock another process holds,
 * or a long stats query, would hold the health answer up while the collector still answers.
 */
export async function ping({ db }: SqliteConnections): Promise<void> {
  db.prepare('SELECT 1').get()
}

/**
 * The statements of a batch of queries, and how to give each query its rows from their results.
 * Detail queries that read the same filtered rows (a filtered view asks for the totals, the
 * series and every breakdown of them) read those rows once into a temporary table and group
 * from there: with SQLite's one-pass grouping, reading a month of detail again for each
 * breakdown would cost more than all the grouping. Weighted queries of the same groups are
 * grouped once (aggregateTogether): SQLite's grouping sorts every row it reads.
 */
function steps(queries: AggregateQuery[]): { steps: Step[]; answers: (results: unknown[][]) => Record<string, unknown>[][] } {
  const setup: Step[] = []
  const teardown: Step[] = []
  const sources = new Map<AggregateQuery, string>()
  for (const group of sharedScans(queries)) {
    const name = `qc_scan_${setup.length}`
    const { text, values } = scan(group[0]!, dialect)
    setup.push({ sql: `CREATE TEMP TABLE ${name} AS ${text}`, values })
    teardown.push({ sql: `DROP TABLE temp.${name}`, values: [] })
    for (const query of group) sources.set(query, `temp.${name}`)
  }
  const { statements, answers } = batchStatements(queries, dialect, (query) => sources.get(query))
  return {
    steps: [...setup, ...statements.map(({ text, values }): Step => ({ sql: text, values, rows: true })), ...teardown],
    // Results come for the steps with rows only: the statements, in order.
    answers: (results) => answers(results as Record<string, unknown>[][]),
  }
}

/** The groups of two or more filtered detail queries that read the same rows (one part, site, filters). */
function sharedScans(queries: AggregateQuery[]): AggregateQuery[][] {
  const shared = new Map<string, AggregateQuery[]>()
  for (const query of queries) {
    const [part] = query.parts
    if (query.parts.length !== 1 || TABLES[part!.table].tier !== 'detail' || !Object.keys(query.filters ?? {}).length) continue
    const key = JSON.stringify([part, query.site, Object.entries(query.filters ?? {}).sort()])
    shared.set(key, [...(shared.get(key) ?? []), query])
  }
  return [...shared.values()].filter((group) => group.length >= 2)
}
