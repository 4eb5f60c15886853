import { answerQueries, batchStatements } from '../sql.js'
import type { AggregateQuery, AggregateRow } from '../store.js'
import type { PostgresConnection } from './connection.js'
import { dialect, storable } from './dialect.js'

/** Store.query: weighted queries of the same groups grouped once (batchStatements); each statement on a connection of the pool, at the same time. */
export function query({ pool }: PostgresConnection, queries: AggregateQuery[]): Promise<AggregateRow[][]> {
  return answerQueries(queries, async () => {
    const { statements, answers } = batchStatements(queries, dialect)
    return answers(await Promise.all(statements.map(async ({ text, values }) => (await pool.query(text, values)).rows)))
  })
}

/** Store.detailCutoff. */
export async function detailCutoff({ pool }: PostgresConnection, site: string): Promise<number> {
  const { rows } = await pool.query('SELECT hour FROM detail_cutoffs WHERE site = $1', [storable(site)])
  return Number(rows[0]?.hour ?? 0)
}

/** Store.sites: a loose index scan, one index seek per site instead of reading every hour of every site. */
export async function sites({ pool }: PostgresConnection): Promise<string[]> {
  const { rows } = await pool.query(
    'WITH RECURSIVE s AS (SELECT min(site) AS site FROM totals UNION ALL SELECT (SELECT min(site) FROM totals WHERE site > s.site) FROM s WHERE s.site IS NOT NULL) SELECT site FROM s WHERE site IS NOT NULL',
  )
  return rows.map((row) => String(row.site))
}

/** Store.ping: the server answers a query on a connection of the pool. */
export async function ping({ pool }: PostgresConnection): Promise<void> {
  await pool.query('SELECT 1')
}
