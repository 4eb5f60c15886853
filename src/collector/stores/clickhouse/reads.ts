import { aggregate, answerQueries } from '../sql.js'
import type { AggregateQuery, AggregateRow } from '../store.js'
import type { ClickHouseConnection } from './connection.js'

/**
 * Store.query: one statement per query, at the same time (18.16 has no table expressions in
 * WITH, so queries of the same groups cannot share one). Sums of Int64 come back as JSON strings
 * (output_format_json_quote_64bit_integers), which answerQueries makes numbers.
 */
export function query({ rows, dialect }: ClickHouseConnection, queries: AggregateQuery[]): Promise<AggregateRow[][]> {
  return answerQueries(queries, () => Promise.all(queries.map((query) => rows(aggregate(query, dialect).text))))
}

/** Store.detailCutoff: the greatest cutoff recorded (detail_cutoffs is a ReplacingMergeTree, perhaps not merged yet). */
export async function detailCutoff({ db, dialect, rows }: ClickHouseConnection, site: string): Promise<number> {
  const [row] = await rows(`SELECT max(hour) AS hour FROM ${db}.detail_cutoffs WHERE site = ${dialect.bind(site, [])}`)
  return Number(row?.hour ?? 0)
}

/** Store.sites. */
export async function sites({ db, rows }: ClickHouseConnection): Promise<string[]> {
  return (await rows(`SELECT DISTINCT site FROM ${db}.totals ORDER BY site`)).map((row) => String(row.site))
}

/** Store.ping: the server answers a query (which needs no database, so it answers before migrate() too). */
export async function ping({ rows }: ClickHouseConnection): Promise<void> {
  await rows('SELECT 1')
}
