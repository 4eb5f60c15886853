import { type Counted, countedRows } from './ingest.js'
import { mergeRow, type Row } from './rows.js'
import type { Store } from './stores/store.js'

export interface GroupCommitOptions {
  /** Merged records and rows waiting for the next commit past which a beacon is refused (default 50,000). */
  maxPendingRows?: number
  /** Beacons waiting for their commit past which a beacon is refused (default 10,000). */
  maxWaiting?: number
}

export interface GroupCommit {
  /**
   * Merges what a beacon counts into the next commit; the promise resolves once it is committed
   * (durable). `'full'` when the bounds are reached: nothing was taken, the beacon should be
   * answered 503 and sent again later.
   */
  add(counted: Counted): Promise<void> | 'full'
  /** Resolves once everything added so far is committed (or has failed). */
  flush(): Promise<void>
  /** Merged records and rows, and beacons, waiting now: for the bounds and for the logs. */
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
  // Records merged per site-local day and detail setting (the context tierRows needs), and rows
  // already in their tier; counted in the tiers once per distinct record, at commit.
  let records = new Map<string, Pick<Counted, 'day' | 'keepDetail'> & { merged: Map<string, Row> }>()
  let rows = new Map<string, Row>()
  let size = 0
  let waiting: { resolve: () => void; reject: (error: unknown) => void }[] = []
  // The commit in flight (or the last one), and whether the next one is already scheduled.
  let current: Promise<void> = Promise.resolve()
  let writing = false
  let scheduled = false

  const commit = async () => {
    scheduled = false
    if (!waiting.length) return
    const written = rows
    for (const { day, keepDetail, merged } of records.values()) for (const row of countedRows({ records: [...merged.values()], day, keepDetail, rows: [] })) mergeRow(written, row)
    const waiters = waiting
    records = new Map()
    rows = new Map()
    size = 0
    waiting = []
    writing = true
    try {
      await store.write([...written.values()])
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
    add(counted) {
      if (waiting.length >= maxWaiting || size + counted.records.length + counted.rows.length > maxPendingRows) return 'full'
      const context = `${counted.day.day} ${counted.day.month} ${counted.keepDetail}`
      let held = records.get(context)
      if (!held) records.set(context, (held = { day: counted.day, keepDetail: counted.keepDetail, merged: new Map() }))
      const before = held.merged.size + rows.size
      for (const record of counted.records) mergeRow(held.merged, record)
      for (const row of counted.rows) mergeRow(rows, row)
      size += held.merged.size + rows.size - before
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
    backlog: () => ({ rows: size, beacons: waiting.length }),
  }
}
