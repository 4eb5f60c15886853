import type { Migration } from '../../migrate.js'
import type { PostgresContext } from './context.js'

/**
 * Version 2 clustered SQLite's tables on their key. PostgreSQL's tables are heaps read through
 * their key's index either way: nothing to do, but the version is recorded, so that a schema
 * version means the same on every store.
 */
export const migration: Migration<PostgresContext> = { version: 2, name: 'clustered tables (SQLite only)', up() {} }
