import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/** One statement of a read batch; `rows` when its result is wanted. */
export interface ReadStep {
  sql: string
  values: unknown[]
  rows?: boolean
}

/**
 * Runs read batches on one connection, each batch in one read transaction, so that its queries
 * see one snapshot and its temporary tables last as long as the batch. Self-contained on
 * purpose: its source is also the read worker's code (below), so both hosts run this function.
 */
function readBatches(db: Database.Database) {
  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string) => {
    let statement = statements.get(sql)
    if (!statement) {
      if (statements.size >= 500) statements.clear()
      statements.set(sql, (statement = db.prepare(sql)))
    }
    return statement
  }
  return db.transaction((steps: ReadStep[]) => {
    const results: unknown[][] = []
    for (const step of steps) {
      if (step.rows) results.push(prepare(step.sql).all(step.values))
      else prepare(step.sql).run(step.values)
    }
    return results
  })
}

// CommonJS, as Node runs a worker given as source text.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 5000')
db.pragma('temp_store = MEMORY')
db.pragma('cache_size = -65536')
const batch = (${readBatches.toString()})(db)
parentPort.on('message', ({ id, steps }) => {
  try {
    parentPort.postMessage({ id, results: batch(steps) })
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) })
  }
})`

export interface ReadConnection {
  run(steps: ReadStep[]): Promise<unknown[][]>
  close(): Promise<void>
}

/**
 * Where the stats queries of a SQLite store run: a worker thread with a read-only connection of
 * its own, started at the first query. better-sqlite3 is synchronous, so a query on the
 * collector's thread would hold up every beacon behind it; in WAL mode the reader and the
 * writer do not wait for each other. An in-memory database has no file to share, so its reads
 * run on the caller's connection.
 */
export function readConnection(db: Database.Database, file: string): ReadConnection {
  if (file === ':memory:' || file === '') {
    const batch = readBatches(db)
    return { run: async (steps) => batch(steps), close: async () => {} }
  }
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  let worker: Worker | undefined
  let ids = 0
  const pending = new Map<number, { resolve: (results: unknown[][]) => void; reject: (error: Error) => void }>()
  const failAll = (error: Error) => {
    for (const waiting of pending.values()) waiting.reject(error)
    pending.clear()
  }
  const start = () => {
    const started = new Worker(WORKER, { eval: true, workerData: { file: resolve(file), driver } })
    started.on('message', ({ id, results, error }: { id: number; results?: unknown[][]; error?: string }) => {
      const waiting = pending.get(id)
      pending.delete(id)
      // An idle worker does not keep the process alive; one with a query in flight does.
      if (!pending.size) started.unref()
      if (error !== undefined) waiting?.reject(new Error(error))
      else waiting?.resolve(results!)
    })
    started.on('error', (error) => failAll(error))
    started.on('exit', (code) => {
      if (worker === started) worker = undefined
      failAll(new Error(`the SQLite read worker stopped (exit code ${code})`))
    })
    return started
  }
  return {
    run(steps) {
      worker ??= start()
      worker.ref()
      const id = ids++
      const answer = new Promise<unknown[][]>((resolve, reject) => pending.set(id, { resolve, reject }))
      worker.postMessage({ id, steps })
      return answer
    },
    async close() {
      const stopping = worker
      worker = undefined
      await stopping?.terminate()
    },
  }
}
