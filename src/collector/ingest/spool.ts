import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Row, TABLES, type Table } from '../schema.js'
import type { SpooledBatch } from '../stores/store.js'

/**
 * A collector's spool: where group commits go while the store is away (group-commit.ts), one
 * line per commit, appended and fsynced before its beacons are acknowledged, and replayed in
 * order once the store is back (Store.replay, which takes each batch once). What it holds are
 * the rows the store would hold, already counted and merged: no address, no user agent.
 *
 * The file is a header line (`{"spool":"quietcount","key":…,"seq":…,"store":…}`) and one JSON line per
 * batch (`{"seq":n,"rows":[…]}`), each row an array: table, site, time, then its table's
 * dimensions and counters in TABLES order (a third of the bytes of the row objects). A line cut short by a crash was never acknowledged: it is
 * dropped when the spool is opened again. Once every batch is replayed the file is emptied,
 * keeping its key and the last seq, so that the store's record of what it took stays valid.
 */
export interface Spool {
  readonly file: string
  /** Names this spool in the store's record of the batches it took. */
  readonly key: string
  /** Batches waiting for the store, and the bytes of the file. */
  size(): { batches: number; bytes: number }
  /** Appends a batch and fsyncs it; `'full'` when the file would pass its bound (nothing written). */
  append(rows: Row[]): Promise<void> | 'full'
  /** The oldest batches waiting, about `maxRows` rows in all (at least one batch). */
  read(maxRows: number): Promise<SpooledBatch[]>
  /** Forgets the batches through `seq`, which the store has taken; empties the file once none is left. */
  drop(seq: number): Promise<void>
  /** Closes the file and releases it for another process. */
  close(): Promise<void>
}

export interface SpoolOptions {
  /**
   * The store the batches are for, as the header says (a URL without its password): a spool
   * holding batches for another store is refused rather than replayed into the wrong one.
   */
  store?: string
  /** The most bytes the file may hold (default 256 MiB); past it a commit the store did not take is refused. */
  maxBytes?: number
}

export const DEFAULT_SPOOL_BYTES = 256 * 1024 * 1024

interface Held {
  seq: number
  offset: number
  length: number
  rows: number
}

const HEADER = 'quietcount'

type Packed = [Table, string, number, ...(string | number)[]]
function packed({ table, site, time, dims, counts }: Row): Packed {
  const { dimensions, counters } = TABLES[table]
  return [table, site, time, ...dimensions.map((d) => dims[d] ?? ''), ...counters.map((c) => counts[c] ?? 0)]
}
function unpacked([table, site, time, ...values]: Packed): Row {
  const { dimensions, counters } = TABLES[table]
  return {
    table,
    site,
    time,
    dims: Object.fromEntries(dimensions.map((d, i) => [d, values[i] as string])),
    counts: Object.fromEntries(counters.map((c, i) => [c, values[dimensions.length + i] as number])),
  }
}

/**
 * Opens (or creates) the spool at `file`, with a lock file beside it (`FILE.lock`, the process
 * id) so that two collectors never share one. Throws with the reason when the file is not a
 * spool, is corrupt before its last line, or is held by a running process.
 */
export async function openSpool(file: string, { maxBytes = DEFAULT_SPOOL_BYTES, store = '' }: SpoolOptions = {}): Promise<Spool> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 4096) throw new Error(`spool maxBytes must be a whole number of bytes, at least 4096 (got ${String(maxBytes)})`)
  const lock = `${file}.lock`
  takeLock(lock, file)
  try {
    const loaded = load(file, store)
    if (loaded.held.length && loaded.store !== store) {
      throw new Error(
        `spool ${file} holds ${loaded.held.length} batches for the store ${JSON.stringify(loaded.store)}, not ${JSON.stringify(store)}: serve that store to replay them, or move the file away`,
      )
    }
    const handle = await open(file, 'r+')
    return spoolOn(file, lock, handle, { ...loaded, store, maxBytes })
  } catch (error) {
    unlinkSync(lock)
    throw error
  }
}

function takeLock(lock: string, file: string) {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' })
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`spool ${file}: cannot create its lock ${lock}: ${(error as Error).message}`)
  }
  const holder = Number(readFileSync(lock, 'utf8'))
  if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
    throw new Error(`spool ${file} is in use by process ${holder} (another collector): give each collector its own spool file`)
  }
  // Left by a process that died: taken over.
  writeFileSync(lock, String(process.pid))
}

function alive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Writes `text` as the whole file, atomically: a temp file, fsynced, renamed over it, and the folder fsynced. */
function replaceFile(file: string, text: string) {
  const temp = `${file}.tmp`
  const fd = openSync(temp, 'w')
  try {
    writeFileSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, file)
  const folder = openSync(dirname(file), 'r')
  try {
    fsyncSync(folder)
  } finally {
    closeSync(folder)
  }
}

const headerLine = (key: string, seq: number, store: string) => `${JSON.stringify({ spool: HEADER, key, seq, store })}\n`

/** Reads the file: its key, the seq before its first batch, the batches and where the good part ends. */
function load(file: string, store: string): { key: string; base: number; held: Held[]; end: number; store: string } {
  const text = readSpool(file)
  if (!text.length) {
    // A new spool (or an empty file): a header with a new key.
    const key = randomBytes(8).toString('hex')
    replaceFile(file, headerLine(key, 0, store))
    return { key, base: 0, held: [], end: Buffer.byteLength(headerLine(key, 0, store)), store }
  }
  const header = parseHeader(file, text)
  const { held, end } = scanBatches(file, text, header.end, header.seq)
  return { key: header.key, base: header.seq, held, end, store: header.store }
}

/** The file's bytes; none when it does not exist yet. */
function readSpool(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`spool ${file} cannot be read: ${(error as Error).message}`)
    return Buffer.alloc(0)
  }
}

/** The header line's key, seq and store, and where the first batch starts; throws when the file is not a spool. */
function parseHeader(file: string, text: Buffer): { key: string; seq: number; store: string; end: number } {
  const firstEnd = text.indexOf(10)
  let header: { spool?: unknown; key?: unknown; seq?: unknown; store?: unknown } = {}
  try {
    header = JSON.parse(text.subarray(0, firstEnd < 0 ? text.length : firstEnd).toString('utf8'))
  } catch {}
  if (firstEnd < 0 || header.spool !== HEADER || typeof header.key !== 'string' || !/^[0-9a-f]{16}$/.test(header.key) || !Number.isSafeInteger(header.seq)) {
    throw new Error(`spool ${file} is not a QuietCount spool (its first line must be {"spool":"quietcount","key":…,"seq":…}); move it away or name another file`)
  }
  return { key: header.key, seq: header.seq as number, store: typeof header.store === 'string' ? header.store : '', end: firstEnd + 1 }
}

/**
 * The batch lines from `offset` on, each the seq after the one before (`base` before the first),
 * and where the last whole one ends; throws when a line other than the last is not a batch.
 */
function scanBatches(file: string, text: Buffer, offset: number, base: number): { held: Held[]; end: number } {
  const held: Held[] = []
  let last = base
  while (offset < text.length) {
    const newline = text.indexOf(10, offset)
    // The last line without its newline: an append cut short, never acknowledged.
    if (newline < 0) break
    let batch: { seq?: unknown; rows?: unknown }
    try {
      batch = JSON.parse(text.subarray(offset, newline).toString('utf8'))
    } catch {
      if (text.indexOf(10, newline + 1) < 0 && newline + 1 >= text.length) break
      throw new Error(`spool ${file} is corrupt at byte ${offset} (not a JSON line, and not the last one); its batches were acknowledged: keep the file for inspection`)
    }
    if (batch.seq !== last + 1 || !Array.isArray(batch.rows))
      throw new Error(`spool ${file} is corrupt at byte ${offset}: batch ${String(batch.seq)} where ${last + 1} was expected`)
    held.push({ seq: last + 1, offset, length: newline + 1 - offset, rows: batch.rows.length })
    last++
    offset = newline + 1
  }
  return { held, end: offset }
}

function spoolOn(file: string, lock: string, handle: FileHandle, state: { key: string; base: number; held: Held[]; end: number; store: string; maxBytes: number }): Spool {
  const { key, store, maxBytes } = state
  let { held, end } = state
  let fh = handle
  let last = held.at(-1)?.seq ?? state.base
  // A torn last line is cut off before anything is appended after it.
  let cut: Promise<void> | undefined = statSync(file).size > end ? fh.truncate(end) : undefined
  return {
    file,
    key,
    size: () => ({ batches: held.length, bytes: end }),
    append(rows) {
      const line = Buffer.from(`${JSON.stringify({ seq: last + 1, rows: rows.map(packed) })}\n`)
      if (end + line.length > maxBytes) return 'full'
      const at = end
      end += line.length
      last++
      held.push({ seq: last, offset: at, length: line.length, rows: rows.length })
      return (async () => {
        if (cut) await cut
        cut = undefined
        await fh.write(line, 0, line.length, at)
        await fh.datasync()
      })()
    },
    async read(maxRows) {
      const batches: SpooledBatch[] = []
      let rows = 0
      for (const batch of held) {
        if (batches.length && rows + batch.rows > maxRows) break
        const { buffer } = await fh.read(Buffer.alloc(batch.length), 0, batch.length, batch.offset)
        batches.push({ seq: batch.seq, rows: (JSON.parse(buffer.toString('utf8')) as { rows: Packed[] }).rows.map(unpacked) })
        rows += batch.rows
      }
      return batches
    },
    async drop(seq) {
      held = held.filter((batch) => batch.seq > seq)
      if (held.length) return
      // Nothing waits: the file starts again from its header, with the last seq the store took.
      replaceFile(file, headerLine(key, last, store))
      await fh.close()
      fh = await open(file, 'r+')
      end = Buffer.byteLength(headerLine(key, last, store))
    },
    async close() {
      await fh.close()
      unlinkSync(lock)
    },
  }
}
