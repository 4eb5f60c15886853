import { wellFormed } from '../../../shared/well-formed.js'
import { marginalBounds } from '../../schema.js'
import { detailBounds, type Expiry, expiryWhere } from '../expiry.js'
import type { ClickHouseConnection } from './connection.js'
import { clickhouseString } from './dialect.js'

/** How long an expiry waits for its deletion (a mutation) to be done. */
const MUTATION_WAIT_MS = 600_000

/**
 * Store.expireDetail: the site's detail before the hour, then the cutoff. Queries never read
 * detail before the cutoff, so rows a running mutation has not yet removed are never counted.
 */
export async function expireDetail(connection: ClickHouseConnection, site: string, before: number): Promise<number> {
  const deleted = await deleteRows(connection, site, detailBounds(before))
  await connection.insert('detail_cutoffs', [{ site: wellFormed(site), hour: before }])
  return deleted
}

/** Store.expireMarginals: the site's marginals before the bounds. */
export async function expireMarginals(connection: ClickHouseConnection, site: string, before: { hour: number; day: number; month: number }): Promise<number> {
  return deleteRows(connection, site, marginalBounds(before))
}

/**
 * Deletes a site's rows of each expiry, one table after another, with `ALTER TABLE … DELETE` (a
 * mutation, which rewrites the table's parts that hold such rows), and waits until it is done;
 * resolves with how many. Counted first, so that a table with nothing to delete is not rewritten.
 */
async function deleteRows(connection: ClickHouseConnection, site: string, expiries: Expiry[]): Promise<number> {
  const { db, dialect, rows, command } = connection
  let deleted = 0
  for (const expiry of expiries) {
    const where = expiryWhere(site, expiry, dialect, [])
    const found = Number((await rows(`SELECT count() AS n FROM ${db}.${expiry.table} WHERE ${where}`))[0]?.n ?? 0)
    if (!found) continue
    deleted += found
    await command(`ALTER TABLE ${db}.${expiry.table} DELETE WHERE ${where}`)
    await mutationsDone(connection, expiry.table)
  }
  return deleted
}

/** Waits until the mutations of a table (ALTER … DELETE) are done: 18.16 has no mutations_sync. */
async function mutationsDone({ database, rows }: ClickHouseConnection, table: string): Promise<void> {
  const deadline = Date.now() + MUTATION_WAIT_MS
  const running = async () =>
    Number(
      (await rows(`SELECT count() AS n FROM system.mutations WHERE database = ${clickhouseString(database)} AND table = ${clickhouseString(table)} AND is_done = 0`))[0]?.n ?? 0,
    )
  while ((await running()) > 0) {
    if (Date.now() > deadline) throw new Error(`clickhouse: the deletion of old rows from ${table} is still running after 10 minutes`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
