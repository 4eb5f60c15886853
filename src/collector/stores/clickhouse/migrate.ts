import { runMigrations } from '../migrate.js'
import type { MigrateOptions } from '../store.js'
import type { ClickHouseConnection } from './connection.js'
import { clickhouseString } from './dialect.js'
import { withMigrationLock } from './migration-lock.js'
import { MIGRATIONS } from './migrations/index.js'

/** MergeTree settings that make an acknowledged insert durable, used when the server has them. */
const FSYNC_SETTINGS = ['fsync_after_insert', 'fsync_part_directory']

/**
 * Store.migrate: the database and the versions table if they are missing, then the versions not
 * applied yet, holding the lock table (withMigrationLock). ClickHouse has no DDL transactions:
 * each migration is written to be safe to run again after an interruption.
 */
export async function migrate(connection: ClickHouseConnection, options: MigrateOptions = {}): Promise<void> {
  const { db, rows, command } = connection
  await command(`CREATE DATABASE IF NOT EXISTS ${db}`)
  await command(`CREATE TABLE IF NOT EXISTS ${db}.quietcount_migrations (version UInt32, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version`)
  const known = (await rows(`SELECT name FROM system.merge_tree_settings WHERE name IN (${FSYNC_SETTINGS.map(clickhouseString).join(', ')})`)).map((r) => String(r.name))
  await runMigrations(
    {
      context: { ...connection, settings: FSYNC_SETTINGS.filter((s) => known.includes(s)), timezoneOf: options.timezoneOf ?? (() => 'UTC') },
      locked: (work) => withMigrationLock(connection, work),
      applied: async () => new Set((await rows(`SELECT DISTINCT version FROM ${db}.quietcount_migrations`)).map((r) => Number(r.version))),
      record: (version) => command(`INSERT INTO ${db}.quietcount_migrations (version) VALUES (${version})`),
    },
    MIGRATIONS,
  )
}
