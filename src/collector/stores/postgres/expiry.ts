import { marginalBounds } from '../../schema.js'
import { cutoffUpsert, detailBounds, type Expiry, expiryWhere } from '../expiry.js'
import type { PostgresConnection } from './connection.js'
import { dialect } from './dialect.js'
import type { PgClient } from './driver.js'

/** Store.expireDetail: the site's detail before the hour, and the cutoff recorded, in one transaction. */
export function expireDetail(connection: PostgresConnection, site: string, before: number): Promise<number> {
  return connection.transaction(async (client) => {
    const deleted = await deleteRows(client, site, detailBounds(before))
    await client.query(cutoffUpsert(site, before, dialect))
    return deleted
  })
}

/** Store.expireMarginals: the site's marginals before the bounds, in one transaction. */
export async function expireMarginals(connection: PostgresConnection, site: string, before: { hour: number; day: number; month: number }): Promise<number> {
  const bounds = marginalBounds(before)
  return connection.transaction((client) => deleteRows(client, site, bounds))
}

/** Deletes a site's rows of each expiry, one table after another; resolves with how many. */
async function deleteRows(client: PgClient, site: string, expiries: Expiry[]): Promise<number> {
  let deleted = 0
  for (const expiry of expiries) {
    const values: unknown[] = []
    const where = expiryWhere(site, expiry, dialect, values)
    deleted += (await client.query({ text: `DELETE FROM ${expiry.table} WHERE ${where}`, values })).rowCount ?? 0
  }
  return deleted
}
