import type Database from 'better-sqlite3'

/** What SQLite's migrations run against: the store's connection, inside the migration's transaction. */
export interface SqliteContext {
  db: Database.Database
  timezoneOf: (site: string) => string
}
