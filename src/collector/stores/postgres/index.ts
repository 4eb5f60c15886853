import { type Store, storeOn } from '../store.js'
import { postgresConnection } from './connection.js'
import type { PgDriver } from './driver.js'
import { expireDetail, expireMarginals } from './expiry.js'
import { migrate } from './migrate.js'
import { detailCutoff, ping, query, sites } from './reads.js'
import { replay, write } from './write.js'

export type { PgClient, PgDriver, PgPool } from './driver.js'

/**
 * A PostgreSQL store on `pg`. Each write() is one transaction on one pooled connection; it
 * resolves after COMMIT, which PostgreSQL acknowledges once the WAL is flushed to disk
 * (with its defaults `fsync = on` and `synchronous_commit = on`; with synchronous replicas
 * configured, once they have it too).
 *
 * @example
 * import pg from 'pg'
 * const store = postgresStore('postgres://quietcount@db.internal/quietcount', pg)
 * await store.migrate()
 */
export function postgresStore(url: string, pg: PgDriver): Store {
  return storeOn(postgresConnection(url, pg), { migrate, write, replay, query, expireDetail, expireMarginals, detailCutoff, sites, ping })
}
