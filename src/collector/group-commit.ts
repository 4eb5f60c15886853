import { mergeRow, type Row } from './rows.js'
import type { Store } from './stores/store.js'

export interface GroupCommitOptions {
  /** Merged rows waiting for the next commit past which a beacon is refused (default 50,000). */
  maxPendingRows?: number
  /** Beacons waiting for their commit past which a beacon is refused (default 10,000). */
  maxWaiting?: number
}

export interface GroupCommit {
  /**
   * Merges the rows into the next commit; the promise resolves once they are committed
   * (durable). `'full'` when the bounds are reached: nothing was taken, the beacon should be
   * answered 503 and sent again later.
   */
  add(rows: Row[]): Promise<void> | 'full'
  /** Resolves once everything added so far is committed (or has failed). */
  flush(): Promise<void>
  /** Rows and beacons waiting now, for the bounds and for the logs. */
  backlog(): { rows: number; beacons: number }
}

export const DEFAULT_MAX_PENDING_ROWS = 50_000
export const DEFAULT_MAX_WAITING = 10_000

/**
 * Group commit without a fixed wait: a commit starts as soon as the one before it has finished,
 * and takes every row that arrived meanwhile, merged. An idle collector acknowledges a beacon
 * in about one commit's time; a busy one writes larger batches, never two at once. Each beacon
 * is acknowledged only when the transaction holding its rows has committed, so an acknowledged
 * count is never lost. Memory is bounded: past `maxPendingRows` merged rows or `maxWaiting`
 * beacons waiting, add() refuses, so a store slower than the traffic makes clients retry
 * instead of the collector growing.
 */
export function groupCommit(store: Store, { maxPendingRows = DEFAULT_MAX_PENDING_ROWS, maxWaiting = DEFAULT_MAX_WAITING }: GroupCommitOptions = {}): GroupCommit {
  let pending = new Map<string, Row>()
  let waiting: { resolve: () => void; reject: (error: unknown) => void }[] = []
  // The commit in flight (or the last one), and whether the next one is already scheduled.
  let current: Promise<void> = Promise.resolve()
  let writing = false
  let scheduled = false

  const commit = async () => {
    scheduled = false
    if (!waiting.length) return
    const rows = [...pending.values()]
    const waiters = waiting
    pending = new Map()
    waiting = []
    writing = true
    try {
      await store.write(rows)
      for (const w of waiters) w.resolve()
    } catch (error) {
      for (const w of waiters) w.reject(error)
    } finally {
      writing = false
    }
    if (waiting.length) schedule()
  }
  // setImmediate, not a microtask: the beacons whose requests arrived together (one turn of the
  // event loop) go into the same commit.
  const schedule = () => {
    if (writing || scheduled) return
    scheduled = true
    current = new Promise<void>((resolve) => setImmediate(() => commit().then(resolve)))
  }

  return {
    add(rows) {
      if (waiting.length >= maxWaiting || pending.size + rows.length > maxPendingRows) return 'full'
      for (const row of rows) mergeRow(pending, row)
      const committed = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
      schedule()
      return committed
    },
    async flush() {
      // A commit that finds rows waiting schedules the next: wait until none is left.
      while (writing || scheduled || waiting.length) {
        schedule()
        await current
      }
    },
    backlog: () => ({ rows: pending.size, beacons: waiting.length }),
  }
}
