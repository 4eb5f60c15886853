import type { Store } from '../stores/store.js'
import type { Counted } from './ingest.js'
import { oneAtATime } from './one-at-a-time.js'
import type { Spool } from './spool.js'
import { type Destination, storeOrSpool } from './spool-fallback.js'
import { type Taken, waitingBeacons } from './waiting.js'

export interface GroupCommitOptions {
  /** Merged records and rows waiting for the next commit past which a beacon is refused (default 50,000). */
  maxPendingRows?: number
  /** Beacons waiting for their commit past which a beacon is refused (default 10,000). */
  maxWaiting?: number
  /**
   * Where commits go while the store is away, to be replayed once it is back (spool.ts). Without
   * one, every beacon gets 503 while the store is away.
   */
  spool?: Spool
  /** Where it says that the store went away and came back (default console.error). */
  log?: (message: string) => void
}

export interface GroupCommit {
  /**
   * Merges what a beacon counts into the next commit; the promise resolves once it is committed
   * (durable in the store or in the spool). `'full'` when the bounds are reached: nothing was
   * taken, the beacon should be answered 503 and sent again later.
   */
  add(counted: Counted): Promise<void> | 'full'
  /** Resolves once everything added so far is committed (or has failed). */
  flush(): Promise<void>
  /** Stops replaying the spool and commits what waits; what stays in the spool is replayed at the next start. */
  close(): Promise<void>
  /**
   * Merged records and rows, and beacons, not committed yet (waiting, and in the commit under
   * way), and batches in the spool: what a forced exit would leave unacknowledged, for the logs.
   */
  backlog(): { rows: number; beacons: number; spooled: number }
}

export const DEFAULT_MAX_PENDING_ROWS = 50_000
export const DEFAULT_MAX_WAITING = 10_000

/**
 * Group commit without a fixed wait: a commit starts as soon as the one before it has finished,
 * and takes every row that arrived meanwhile, merged (waiting.ts). An idle collector acknowledges
 * a beacon in about one commit's time; a busy one writes larger batches, never two at once. Each
 * beacon is acknowledged only when the transaction holding its rows has committed, so an
 * acknowledged count is never lost. Memory is bounded: past `maxPendingRows` merged rows or
 * `maxWaiting` beacons waiting, add() refuses, so a store slower than the traffic makes clients
 * retry instead of the collector growing.
 *
 * With a spool, the commits made while the store is away are appended to the spool, fsynced, and
 * acknowledged; the spool is replayed between commits until the store is back (spool-fallback.ts).
 */
export function groupCommit(store: Store, options: GroupCommitOptions = {}): GroupCommit {
  const { maxPendingRows = DEFAULT_MAX_PENDING_ROWS, maxWaiting = DEFAULT_MAX_WAITING, spool, log = console.error } = options
  const waiting = waitingBeacons(maxPendingRows, maxWaiting)
  // Commits and replays run one at a time, in the order they were asked for.
  const queue = oneAtATime(log)
  const destination = storeOrSpool(store, { spool, log, maxReplayRows: maxPendingRows, exclusive: queue.run })
  // The next commit, once asked for: it takes everything that arrived until it starts.
  let scheduled = false
  let next: Promise<void> = Promise.resolve()
  // The commit under way: its beacons are not committed either until it has finished.
  let writing: Taken | undefined

  const commit = async () => {
    scheduled = false
    if (!waiting.beacons()) return
    writing = waiting.take()
    try {
      await writeCommit(destination, writing)
    } finally {
      writing = undefined
    }
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    // setImmediate, not a microtask: the beacons whose requests arrived together (one turn of the
    // event loop) go into the same commit.
    next = new Promise<void>((resolve) => setImmediate(resolve)).then(() => queue.run(commit))
  }
  const flush = async () => {
    // A commit that finds rows waiting schedules the next: wait until none is left.
    while (scheduled || waiting.beacons()) {
      schedule()
      await next
    }
  }
  return {
    add(counted) {
      const committed = waiting.add(counted)
      if (committed !== 'full') schedule()
      return committed
    },
    flush,
    async close() {
      destination.close()
      await flush()
      await queue.idle()
    },
    backlog: () => ({
      rows: waiting.rows() + (writing?.rows.length ?? 0),
      beacons: waiting.beacons() + (writing?.waiters.length ?? 0),
      spooled: spool?.size().batches ?? 0,
    }),
  }
}

/**
 * Writes one commit and answers its beacons: acknowledged once their rows are durable; refused
 * when the write failed, since the store may or may not have taken them.
 */
async function writeCommit(destination: Destination, { rows, waiters }: Taken) {
  try {
    await destination.write(rows)
    for (const waiter of waiters) waiter.resolve()
  } catch (error) {
    for (const waiter of waiters) waiter.reject(error)
    destination.failed(error)
  }
}
