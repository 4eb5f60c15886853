import { mergeRow, type Row } from '../schema.js'
import type { Store } from '../stores/store.js'
import { type Counted, countedRows } from './ingest.js'
import type { Spool } from './spool.js'

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
  /** Merged records and rows, and beacons, waiting now, and batches in the spool: for the bounds and for the logs. */
  backlog(): { rows: number; beacons: number; spooled: number }
}

export const DEFAULT_MAX_PENDING_ROWS = 50_000
export const DEFAULT_MAX_WAITING = 10_000

/** The first wait before the spool is replayed again after a failed replay; it doubles up to the second. */
const RETRY_MS = 1_000
const MAX_RETRY_MS = 5_000

/**
 * Group commit without a fixed wait: a commit starts as soon as the one before it has finished,
 * and takes every row that arrived meanwhile, merged. An idle collector acknowledges a beacon
 * in about one commit's time; a busy one writes larger batches, never two at once. Each beacon
 * is acknowledged only when the transaction holding its rows has committed, so an acknowledged
 * count is never lost. Memory is bounded: past `maxPendingRows` merged rows or `maxWaiting`
 * beacons waiting, add() refuses, so a store slower than the traffic makes clients retry
 * instead of the collector growing.
 *
 * With a spool, a failed commit marks the store away: its own beacons are refused (the store
 * may or may not have taken them, so they are not acknowledged), and the next commits are
 * appended to the spool, fsynced, and acknowledged. The spool is replayed, one chunk at a time
 * between commits, first a second after the failure and then with doubling waits; the first
 * replay that succeeds marks the store back, and commits go to it again while the rest drains.
 */
export function groupCommit(store: Store, options: GroupCommitOptions = {}): GroupCommit {
  const { maxPendingRows = DEFAULT_MAX_PENDING_ROWS, maxWaiting = DEFAULT_MAX_WAITING, spool, log = console.error } = options
  // Records merged per site-local day and detail setting (the context tierRows needs), and rows
  // already in their tier; counted in the tiers once per distinct record, at commit.
  let records = new Map<string, Pick<Counted, 'day' | 'keepDetail'> & { merged: Map<string, Row> }>()
  let rows = new Map<string, Row>()
  let size = 0
  let waiting: { resolve: () => void; reject: (error: unknown) => void }[] = []
  // Commits and replays run one at a time, in the order they were asked for.
  let tail: Promise<void> = Promise.resolve()
  const exclusive = (work: () => Promise<void>) => (tail = tail.then(work).catch((error) => log(`quietcount: ${message(error)}`)))
  // The next commit, once asked for: it takes everything that arrived until it starts.
  let scheduled = false
  let next: Promise<void> = Promise.resolve()
  let away = false
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let retryMs = RETRY_MS

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
    try {
      if (spool && away) {
        const appended = spool.append([...written.values()])
        if (appended === 'full') throw new Error(`the store is away and the spool ${spool.file} is full (${spool.size().bytes} bytes)`)
        await appended
      } else {
        await store.write([...written.values()])
      }
      for (const w of waiters) w.resolve()
    } catch (error) {
      for (const w of waiters) w.reject(error)
      if (spool && !away) {
        away = true
        log(`quietcount: the store is away (${message(error)}); commits go to the spool ${spool.file} until it is back`)
        replayIn(RETRY_MS)
      }
    }
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    // setImmediate, not a microtask: the beacons whose requests arrived together (one turn of the
    // event loop) go into the same commit.
    next = new Promise<void>((resolve) => setImmediate(resolve)).then(() => exclusive(commit))
  }

  // One chunk of the spool (at most a commit's worth of rows) per turn, so that commits go on between them.
  const replay = async () => {
    if (!spool || closed) return
    if (!spool.size().batches) {
      // Away with nothing spooled (no beacon since the failure): the next commit tries the store.
      away = false
      return
    }
    try {
      const batches = await spool.read(maxPendingRows)
      await store.replay(spool.key, batches)
      await spool.drop(batches.at(-1)!.seq)
    } catch (error) {
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
      if (!away) log(`quietcount: replaying the spool ${spool.file} failed (${message(error)}); trying again in ${retryMs / 1000} s`)
      return replayIn(retryMs)
    }
    retryMs = RETRY_MS
    if (away) log(`quietcount: the store is back; replaying the spool ${spool.file} (${spool.size().batches} batches left)`)
    away = false
    if (spool.size().batches) replayIn(0)
  }
  const replayIn = (ms: number) => {
    if (retry || closed) return
    retry = setTimeout(() => {
      retry = undefined
      exclusive(replay)
    }, ms)
    retry.unref?.()
  }
  // Batches left by an earlier run are replayed at once.
  if (spool?.size().batches) replayIn(0)

  const flush = async () => {
    // A commit that finds rows waiting schedules the next: wait until none is left.
    while (scheduled || waiting.length) {
      schedule()
      await next
    }
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
    flush,
    async close() {
      closed = true
      clearTimeout(retry)
      await flush()
      await tail
    },
    backlog: () => ({ rows: size, beacons: waiting.length, spooled: spool?.size().batches ?? 0 }),
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))
