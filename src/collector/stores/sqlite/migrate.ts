import { resolve } from 'node:path'
import type Database from 'better-sqlite3'
import { runMigrations } from '../migrate.js'
import type { MigrateOptions } from '../store.js'
import type { SqliteConnections } from './connection.js'
import { MIGRATIONS } from './migrations/index.js'

/**
 * Migrations of one file from this process, one after another. Across processes SQLite's own
 * lock does it; within one, a second connection waiting on it would block the very thread the
 * first one needs to finish (busy_timeout sleeps the thread).
 */
const migrating = new Map<string, Promise<unknown>>()

/** Store.migrate: the versions not applied yet, in one transaction (BEGIN IMMEDIATE), after this process's other migrations of the file. */
export async function migrate({ db, file }: SqliteConnections, options: MigrateOptions = {}): Promise<void> {
  const key = resolve(file)
  const run = (migrating.get(key) ?? Promise.resolve()).catch(() => {}).then(() => migrateNow(db, options.timezoneOf ?? (() => 'UTC')))
  migrating.set(key, run)
  await run
}

function migrateNow(db: Database.Database, timezoneOf: (site: string) => string): Promise<number[]> {
  return runMigrations(
    {
      context: { db, timezoneOf },
      // BEGIN IMMEDIATE takes the write lock before the check, so that two collectors starting
      // at once on one file migrate once: the second waits, then sees every version applied.
      async locked(work) {
        db.exec('CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
        db.exec('BEGIN IMMEDIATE')
        try {
          await work()
          db.exec('COMMIT')
        } catch (error) {
          db.exec('ROLLBACK')
          throw error
        }
      },
      applied: async () => new Set(db.prepare('SELECT version FROM quietcount_migrations').pluck().all() as number[]),
      record: async (version) => void db.prepare('INSERT INTO quietcount_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString()),
    },
    MIGRATIONS,
  )
}
