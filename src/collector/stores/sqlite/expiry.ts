import type Database from 'better-sqlite3'
import { marginalBounds } from '../../schema.js'
import { cutoffUpsert, detailBounds, type Expiry, expiryWhere } from '../expiry.js'
import type { SqliteConnections } from './connection.js'
import { dialect } from './dialect.js'

/** Store.expireDetail: the site's detail before the hour, and the cutoff recorded, in one transaction. */
export async function expireDetail({ db }: SqliteConnections, site: string, before: number): Promise<number> {
  return db.transaction(() => {
    const deleted = deleteRows(db, site, detailBounds(before))
    const { text, values } = cutoffUpsert(site, before, dialect)
    db.prepare(text).run(...values)
    return deleted
  })()
}

/** Store.expireMarginals: the site's marginals before the bounds, in one transaction. */
export async function expireMarginals({ db }: SqliteConnections, site: string, before: { hour: number; day: number; month: number }): Promise<number> {
  const bounds = marginalBounds(before)
  return db.transaction(() => deleteRows(db, site, bounds))()
}

/** Deletes a site's rows of each expiry, one table after another; returns how many. */
function deleteRows(db: Database.Database, site: string, expiries: Expiry[]): number {
  let deleted = 0
  for (const expiry of expiries) {
    const values: unknown[] = []
    const where = expiryWhere(site, expiry, dialect, values)
    deleted += db.prepare(`DELETE FROM ${expiry.table} WHERE ${where}`).run(...values).changes
  }
  return deleted
}
