import Database from 'better-sqlite3'
import { TABLES, type Table } from '../rows.js'
import { aggregate, createTable, type Dialect, upsert, upsertValues } from './sql.js'
import type { Store } from './store.js'

const dialect: Dialect = { placeholder: () => '?', integer: 'INTEGER' }

/** Versioned migrations: each runs once, in order, inside a transaction. */
const MIGRATIONS: string[][] = [(Object.keys(TABLES) as Table[]).map((table) => createTable(table, dialect))]

/**
 * The default store: one SQLite file (better-sqlite3), in WAL mode with synchronous=FULL, so a
 * committed write survives a crash or power loss before its beacons are acknowledged.
 *
 * @example const store = sqliteStore('./quietcount.db'); await store.migrate()
 */
export function sqliteStore(file: string): Store {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  const upserts = new Map<Table, Database.Statement>()
  const statement = (table: Table) => {
    let prepared = upserts.get(table)
    if (!prepared) upserts.set(table, (prepared = db.prepare(upsert(table, dialect))))
    return prepared
  }
  return {
    async migrate() {
      db.exec('CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
      const done = new Set(db.prepare('SELECT version FROM quietcount_migrations').pluck().all() as number[])
      MIGRATIONS.forEach((steps, i) => {
        if (done.has(i + 1)) return
        db.transaction(() => {
          steps.forEach((sql) => db.exec(sql))
          db.prepare('INSERT INTO quietcount_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, new Date().toISOString())
        })()
      })
    },
    async write(rows) {
      db.transaction(() => rows.forEach((row) => statement(row.table).run(upsertValues(row))))()
    },
    async query(query) {
      const { text, values } = aggregate(query, dialect)
      return db.prepare(text).all(values) as Record<string, string | number>[]
    },
    async close() {
      db.close()
    },
  }
}
