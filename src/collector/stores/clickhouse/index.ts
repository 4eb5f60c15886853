import { type Store, storeOn } from '../store.js'
import { clickhouseConnection } from './connection.js'
import type { ClickHouseDriver } from './driver.js'
import { expireDetail, expireMarginals } from './expiry.js'
import { migrate } from './migrate.js'
import { detailCutoff, ping, query, sites } from './reads.js'
import { replay, write } from './write.js'

export { clickhouseConfig } from './config.js'
export { clickhouseDialect, clickhouseString } from './dialect.js'
export type { ClickHouseClient, ClickHouseDriver } from './driver.js'

/**
 * A ClickHouse store on `@clickhouse/client`, over HTTP. Works with Debian's clickhouse-server
 * 18.16 (tested) and current servers: plain SQL only, no query parameters, no settings that old
 * servers reject, no HTTP compression.
 *
 * Durability: write() resolves when ClickHouse has acknowledged the inserts, that is when each
 * table's rows are a part on the server's disk. By default ClickHouse does not fsync that part:
 * it survives a crash of the server, not necessarily a power loss. migrate() therefore creates
 * the tables with `fsync_after_insert` and `fsync_part_directory` when the server knows them
 * (not 18.16). With replicas (ReplicatedMergeTree), set `insert_quorum` in the user's profile
 * to acknowledge only inserts that several replicas hold. Inserts are synchronous here; a
 * profile with `async_insert = 1` must keep `wait_for_async_insert = 1` (the default).
 *
 * Atomicity: each table's rows are one INSERT, which ClickHouse applies whole (one part), but
 * ClickHouse has no transactions across tables: the inserts run at the same time, and if one
 * fails, the tables whose insert succeeded keep their rows.
 *
 * @example
 * import * as clickhouse from '@clickhouse/client'
 * const store = clickhouseStore('clickhouse://analytics.internal:8123/quietcount', clickhouse)
 * await store.migrate()
 */
export function clickhouseStore(url: string, driver: ClickHouseDriver): Store {
  return storeOn(clickhouseConnection(url, driver), { migrate, write, replay, query, expireDetail, expireMarginals, detailCutoff, sites, ping })
}
