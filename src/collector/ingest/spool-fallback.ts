import type { Row } from '../schema.js'
import type { Store } from '../stores/store.js'
import { errorMessage } from './one-at-a-time.js'
import type { Spool } from './spool.js'

/** The first wait before the spool is replayed again after a failed replay; it doubles up to the second. */
const RETRY_MS = 1_000
const MAX_RETRY_MS = 5_000

/** Where a commit's rows go: the store, or the spool while the store is away. */
export interface Destination {
  /** Writes one commit's rows; resolves once they are durable (committed in the store, or fsynced in the spool). */
  write(rows: Row[]): Promise<void>
  /** Told of a commit that failed: with a spool, the store is marked away and a replay planned. */
  failed(error: unknown): void
  /** Plans no more replays; what stays in the spool is replayed at the next start. */
  close(): void
}

export interface FallbackOptions {
  spool?: Spool
  log: (message: string) => void
  /** About how many rows one replay takes from the spool (a commit's worth). */
  maxReplayRows: number
  /** Runs a replay in turn with the commits (oneAtATime), never beside one. */
  exclusive: (work: () => Promise<void>) => unknown
}

/**
 * The store, with the spool as its stand-in while it is away. A failed commit marks it away (the
 * store may or may not have taken those rows, so their beacons are refused, not spooled), and the
 * next commits are appended to the spool instead. The spool is replayed one chunk at a time,
 * between commits, first a second after the failure and then with doubling waits; the first
 * replay that succeeds marks the store back, and commits go to it again while the rest drains.
 */
export function storeOrSpool(store: Store, { spool, log, maxReplayRows, exclusive }: FallbackOptions): Destination {
  // Without a spool every commit tries the store, and a failed one is only refused.
  if (!spool) return { write: (rows) => store.write(rows), failed() {}, close() {} }
  let away = false
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let retryMs = RETRY_MS

  const replayIn = (ms: number) => {
    if (retry || closed) return
    retry = setTimeout(() => {
      retry = undefined
      exclusive(replay)
    }, ms)
    retry.unref?.()
  }
  // One chunk per turn, so that commits go on between them.
  const replay = async () => {
    if (closed) return
    if (!spool.size().batches) {
      // Away with nothing spooled (no beacon since the failure): the next commit tries the store.
      away = false
      return
    }
    try {
      const batches = await spool.read(maxReplayRows)
      await store.replay(spool.key, batches)
      await spool.drop(batches.at(-1)!.seq)
    } catch (error) {
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
      if (!away) log(`quietcount: replaying the spool ${spool.file} failed (${errorMessage(error)}); trying again in ${retryMs / 1000} s`)
      return replayIn(retryMs)
    }
    retryMs = RETRY_MS
    if (away) log(`quietcount: the store is back; replaying the spool ${spool.file} (${spool.size().batches} batches left)`)
    away = false
    if (spool.size().batches) replayIn(0)
  }
  // Batches left by an earlier run are replayed at once.
  if (spool.size().batches) replayIn(0)

  return {
    async write(rows) {
      if (!away) return store.write(rows)
      const appended = spool.append(rows)
      if (appended === 'full') throw new Error(`the store is away and the spool ${spool.file} is full (${spool.size().bytes} bytes)`)
      await appended
    },
    failed(error) {
      // A failed append while away says nothing new about the store.
      if (away) return
      away = true
      log(`quietcount: the store is away (${errorMessage(error)}); commits go to the spool ${spool.file} until it is back`)
      replayIn(RETRY_MS)
    },
    close() {
      closed = true
      clearTimeout(retry)
    },
  }
}
