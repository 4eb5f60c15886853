import { type Store, storeOn } from '../store.js'
import { sqliteConnections } from './connection.js'
import { expireDetail, expireMarginals } from './expiry.js'
import { migrate } from './migrate.js'
import { detailCutoff, ping, query, sites } from './reads.js'
import { replay, write } from './write.js'

/**
 * The default store: one SQLite file (better-sqlite3), in WAL mode with synchronous=FULL, so a
 * committed write survives a crash or power loss before its beacons are acknowledged. Writes and
 * stats queries each run on a worker thread with a connection of its own (worker-connection.ts),
 * so neither a commit's fsync nor a dashboard view holds up the collector's thread.
 *
 * @example const store = sqliteStore('./quietcount.db'); await store.migrate()
 */
export function sqliteStore(file: string): Store {
  return storeOn(sqliteConnections(file), { migrate, write, replay, query, expireDetail, expireMarginals, detailCutoff, sites, ping })
}
