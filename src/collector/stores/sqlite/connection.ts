import Database from 'better-sqlite3'
import { type WorkerConnection, workerConnection } from './worker-connection.js'

/**
 * The store's connections to its file: one on the collector's thread (migrations, expiry, a
 * replay's bookkeeping, the small reads), and one on a worker thread each for writes and for
 * stats queries (worker-connection.ts).
 */
export interface SqliteConnections {
  file: string
  db: Database.Database
  reads: WorkerConnection
  writes: WorkerConnection
  close(): Promise<void>
}

/** Opens the file in WAL mode with synchronous=FULL: a committed write survives a crash or power loss. */
export function sqliteConnections(file: string): SqliteConnections {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  const reads = workerConnection(db, file, { readonly: true, pragmas: ['temp_store = MEMORY', 'cache_size = -65536'] })
  const writes = workerConnection(db, file, { readonly: false, pragmas: ['synchronous = FULL'] })
  return {
    file,
    db,
    reads,
    writes,
    async close() {
      await reads.close()
      await writes.close()
      db.close()
    },
  }
}
