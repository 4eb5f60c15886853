import { mergeRow, type Row } from './rows.js'
import type { Store } from './stores/store.js'

export interface GroupCommitOptions {
  /** Longest a beacon waits for others to share its transaction, in ms (default 50). */
  maxWaitMs?: number
  /** Rows that trigger a commit at once (default 5000). */
  maxRows?: number
}

export interface GroupCommit {
  /** Merges the rows into the pending batch; resolves once they are committed (durable). */
  add(rows: Row[]): Promise<void>
  /** Commits what is pending now. */
  flush(): Promise<void>
}

/**
 * Group commit: rows of concurrent beacons are merged in memory and written in one transaction,
 * at most `maxWaitMs` after the first of them arrived. Each beacon is acknowledged only when the
 * transaction holding its rows has committed, so an acknowledged count is never lost.
 */
export function groupCommit(store: Store, { maxWaitMs = 50, maxRows = 5_000 }: GroupCommitOptions = {}): GroupCommit {
  let pending = new Map<string, Row>()
  let waiting: { resolve: () => void; reject: (error: unknown) => void }[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  // Commits run one after another: a store never gets two writes at once, and flush() resolves
  // only when every commit before it is done too (close() relies on that).
  let last: Promise<void> = Promise.resolve()
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    const rows = [...pending.values()]
    const waiters = waiting
    pending = new Map()
    waiting = []
    last = last.then(async () => {
      if (!waiters.length) return
      try {
        await store.write(rows)
        for (const w of waiters) w.resolve()
      } catch (error) {
        for (const w of waiters) w.reject(error)
      }
    })
    return last
  }
  return {
    add(rows) {
      for (const row of rows) mergeRow(pending, row)
      const committed = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
      if (pending.size >= maxRows) void flush()
      else timer ??= setTimeout(flush, maxWaitMs)
      return committed
    },
    flush,
  }
}
