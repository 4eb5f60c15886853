import type { Migration } from '../../migrate.js'
import type { ClickHouseContext } from './context.js'

/**
 * Version 2 clustered SQLite's tables on their key; ClickHouse's are sorted by theirs already:
 * nothing to do, but the version is recorded, so that a schema version means the same on every store.
 */
export const migration: Migration<ClickHouseContext> = { version: 2, name: 'clustered tables (SQLite only)', up() {} }
