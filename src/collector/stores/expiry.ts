import { TABLES, type Table } from '../schema.js'
import type { Dialect } from './sql.js'

/**
 * What the stores share of expiry (Store.expireDetail, Store.expireMarginals): which rows of a
 * table go, as a WHERE in each store's dialect, and the cutoff the SQL stores remember.
 */

/** A site's rows of one table to delete: those before `before` in its time column, or every one when there is no bound (rows.ts, marginalBounds). */
export interface Expiry {
  table: Table
  time: 'hour' | 'day' | 'month'
  before?: number
}

const DETAIL_TABLES = (Object.keys(TABLES) as Table[]).filter((table) => TABLES[table].tier === 'detail')

/** What expireDetail deletes: each detail table's rows before the UTC hour `before`. */
export function detailBounds(before: number): Expiry[] {
  return DETAIL_TABLES.map((table) => ({ table, time: TABLES[table].time, before }))
}

/** The WHERE of a site's rows that an expiry deletes, its values bound by the dialect onto `values`. */
export function expiryWhere(site: string, { time, before }: Expiry, dialect: Dialect, values: unknown[]): string {
  const ofSite = `site = ${dialect.bind(site, values)}`
  return before === undefined ? ofSite : `${ofSite} AND ${time} < ${dialect.bind(before, values)}`
}

/** Records that the site's detail before `before` is gone, keeping a later cutoff already recorded (SQLite, PostgreSQL). */
export function cutoffUpsert(site: string, before: number, dialect: Dialect): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const text =
    `INSERT INTO detail_cutoffs (site, hour) VALUES (${dialect.bind(site, values)}, ${dialect.bind(before, values)}) ` +
    `ON CONFLICT (site) DO UPDATE SET hour = ${dialect.greatest}(detail_cutoffs.hour, excluded.hour)`
  return { text, values }
}
