import { mergeRow, type Row } from '../schema.js'
import { type Counted, countedRows } from './ingest.js'

/** How a beacon's add() promise is settled once the commit holding its rows has finished. */
export interface Waiter {
  resolve: () => void
  reject: (error: unknown) => void
}

/** What one commit writes, and the beacons it answers. */
export interface Taken {
  rows: Row[]
  waiters: Waiter[]
}

/**
 * The beacons waiting for the next commit, their records and rows merged as they arrive, so that
 * a commit writes each distinct row once however many beacons counted it.
 */
export interface Waiting {
  /**
   * Merges what a beacon counts into what waits; the promise settles with the commit that takes
   * it. `'full'` (nothing taken) when it would pass `maxWaiting` beacons or `maxPendingRows`
   * merged records and rows.
   */
  add(counted: Counted): Promise<void> | 'full'
  /** Everything waiting, as one commit's rows, and its beacons; the queue is empty afterwards. */
  take(): Taken
  /** Merged records and rows waiting: what `maxPendingRows` bounds. */
  rows(): number
  /** Beacons waiting: what `maxWaiting` bounds. */
  beacons(): number
}

type Held = Pick<Counted, 'day' | 'keepDetail'> & { merged: Map<string, Row> }

export function waitingBeacons(maxPendingRows: number, maxWaiting: number): Waiting {
  // Records merged per site-local day and detail setting (the context tierRows needs), and rows
  // already in their tier; counted in the tiers once per distinct record, at commit.
  let records = new Map<string, Held>()
  let rows = new Map<string, Row>()
  // Merged records and rows, not the beacons' raw counts: a record that is already waiting costs nothing more.
  let size = 0
  let waiters: Waiter[] = []
  return {
    add(counted) {
      if (waiters.length >= maxWaiting || size + counted.records.length + counted.rows.length > maxPendingRows) return 'full'
      const held = heldFor(records, counted)
      const before = held.merged.size + rows.size
      for (const record of counted.records) mergeRow(held.merged, record)
      for (const row of counted.rows) mergeRow(rows, row)
      size += held.merged.size + rows.size - before
      return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }))
    },
    take() {
      const written = rows
      for (const { day, keepDetail, merged } of records.values())
        for (const row of countedRows({ records: [...merged.values()], day, keepDetail, rows: [] })) mergeRow(written, row)
      const taken = { rows: [...written.values()], waiters }
      records = new Map()
      rows = new Map()
      size = 0
      waiters = []
      return taken
    },
    rows: () => size,
    beacons: () => waiters.length,
  }
}

/** The records of the beacon's day and detail setting, created empty the first time. */
function heldFor(records: Map<string, Held>, { day, keepDetail }: Counted): Held {
  const context = `${day.day} ${day.month} ${keepDetail}`
  let held = records.get(context)
  if (!held) records.set(context, (held = { day, keepDetail, merged: new Map() }))
  return held
}
