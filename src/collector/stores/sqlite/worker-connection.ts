import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/**
 * One statement of a batch: run with `values`, or once for each of `each` (a write's rows of one
 * table); `rows` when its result is wanted.
 */
export interface Step {
  sql: string
  values: unknown[]
  each?: unknown[][]
  rows?: boolean
}

/**
 * Runs batches on one connection, each batch in one transaction, so that a read's queries see
 * one snapshot and its temporary tables last as long as the batch, and a write is all or
 * nothing. Self-contained on purpose: its source is also the worker's code (below), so both
 * hosts run this function.
 */
function runBatches(db: Database.Database) {
  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string) => {
    let statement = statements.get(sql)
    if (!statement) {
      if (statements.size >= 500) statements.clear()
      statements.set(sql, (statement = db.prepare(sql)))
    }
    return statement
  }
  return db.transaction((steps: Step[]) => {
    const results: unknown[][] = []
    for (const step of steps) {
      const statement = prepare(step.sql)
      if (step.rows) results.push(statement.all(step.values))
      else if (step.each) for (const values of step.each) statement.run(values)
      else statement.run(step.values)
    }
    return results
  })
}

/**
 * How long a batch waits for a lock another connection holds (an import, a prune, another
 * collector) before it fails: in short native waits with pauses in between, so that the thread
 * can be stopped while it waits (a native wait of seconds cannot be, and would abort the process
 * at exit).
 */
const BUSY_WAIT_MS = 5_000
const BUSY_STEP_MS = 100

// CommonJS, as Node runs a worker given as source text. Batches run one after another, in order.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { readonly: workerData.readonly, fileMustExist: true })
db.pragma('busy_timeout = ${BUSY_STEP_MS}')
for (const pragma of workerData.pragmas) db.pragma(pragma)
const batch = (${runBatches.toString()})(db)
const queue = []
let retry
const next = () => {
  retry = undefined
  const job = queue[0]
  if (!job) return
  try {
    parentPort.postMessage({ id: job.id, results: batch(job.steps) })
  } catch (error) {
    if (error && error.code === 'SQLITE_BUSY' && Date.now() - job.since < ${BUSY_WAIT_MS}) return void (retry = setTimeout(next, ${BUSY_STEP_MS}))
    parentPort.postMessage({ id: job.id, error: String((error && error.message) || error) })
  }
  queue.shift()
  next()
}
parentPort.on('message', (message) => {
  // Closing between statements, never in one: terminating a thread inside better-sqlite3 can abort the process.
  if (message.close) {
    clearTimeout(retry)
    for (const job of queue.splice(0)) parentPort.postMessage({ id: job.id, error: 'the store is closing' })
    db.close()
    return process.exit(0)
  }
  queue.push({ id: message.id, steps: message.steps, since: Date.now() })
  if (queue.length === 1) next()
})`

export interface WorkerConnection {
  run(steps: Step[]): Promise<unknown[][]>
  close(): Promise<void>
}

/**
 * A connection of its own on a worker thread, started at the first batch: better-sqlite3 is
 * synchronous, so a statement on the collector's thread would hold up every beacon behind it.
 * The stats queries get a read-only one (with `pragmas` for sorting in memory); the writes get
 * one too, so that a commit's fsync, or a wait for a lock another process holds (an import,
 * a prune), never stops the collector from answering. In WAL mode readers and the writer do not
 * wait for each other. An in-memory database has no file to share, so its batches run on the
 * caller's connection.
 */
export function workerConnection(db: Database.Database, file: string, { readonly, pragmas }: { readonly: boolean; pragmas: string[] }): WorkerConnection {
  if (file === ':memory:' || file === '') {
    const batch = runBatches(db)
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
    const started = new Worker(WORKER, { eval: true, workerData: { file: resolve(file), driver, readonly, pragmas } })
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
      failAll(new Error(`the SQLite ${readonly ? 'read' : 'write'} worker stopped (exit code ${code})`))
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
      if (stopping) await stop(stopping)
    },
  }
}

/** Asks a worker to close its connection and exit, between two statements; one that does not answer (a statement running for long) is stopped anyway. */
async function stop(worker: Worker): Promise<void> {
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  worker.postMessage({ close: true })
  const stuck = setTimeout(() => void worker.terminate(), 2_000)
  await exited
  clearTimeout(stuck)
}
