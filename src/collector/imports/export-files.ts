import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { parse } from 'csv-parse'
import yauzl from 'yauzl'
import { DIMENSIONS } from '../../shared/dimensions.js'
import { undefused } from '../../shared/stats-csv.js'
import { TABLES } from '../schema.js'

/**
 * The CSV files of an export, from a zip archive (yauzl), a folder, or one file, gzipped or not
 * (GoatCounter mails a `.csv.gz`), each readable as often as needed: an import reads every file once to check it and again to write it, so that nothing is
 * written from a file with a bad line and nothing has to be held in memory meanwhile.
 *
 * Bounds, so that no input can take the importer's memory (docs/import.md, "Bounds"): a CSV
 * record is at most MAX_RECORD bytes; a zip holds at most MAX_ENTRIES entries; what a zip
 * or a gzip file expands to is at most EXPANSION times its own size (or EXPANSION_ALLOWANCE bytes
 * for a small one). A folder of plain CSV files is read as it is, whatever its size.
 */

/** The bytes of one CSV record: some times the longest line an import accepts (a dozen fields of at most 2,000 characters). */
export const MAX_RECORD = 65_536
/** Entries of a zip: an export has ten. */
export const MAX_ENTRIES = 1_000
/** How many times its size a zip or gzip may expand to: CSV compresses about 5 to 20 times, and Plausible stores its zip's files uncompressed. */
export const EXPANSION = 100
/** What a small archive may always expand to. */
export const EXPANSION_ALLOWANCE = 64 * 2 ** 20

export interface ExportFile {
  name: string
  /** Uncompressed bytes, for progress. */
  bytes: number
  open(): Promise<Readable>
  /** Set for a file of QuietCount's own export: its cells are defused, and the mark says what its days do not know. */
  mark?: ExportMark
}

/**
 * What QuietCount's own export says of itself in its zip's comment (formats/plausible/export.ts),
 * which Plausible ignores: that its cells are defused against spreadsheet formulas (undone when
 * it is imported back, and only then), and what the imports it was written from did not know
 * (SiteImport's lacks and unknown), so that importing it back knows no more than they did.
 */
export interface ExportMark {
  lacks?: string[]
  unknown?: Record<string, string[]>
}

const MARK = 'quietcount-export 1 '
const MARKED_DIMENSIONS = new Set<string>(['total', ...DIMENSIONS.map((d) => d.name)])
const MARKED_COUNTERS = new Set<string>(TABLES.daily.counters)

/** A zip comment that marks QuietCount's export. */
export const exportMark = (mark: ExportMark) => `${MARK}${JSON.stringify(mark)}`

/** The mark a zip comment holds, or undefined for any other zip, whose cells are read as they are. */
function readMark(comment: string, path: string): ExportMark | undefined {
  if (!comment.startsWith(MARK)) return undefined
  let mark: ExportMark | undefined
  try {
    mark = JSON.parse(comment.slice(MARK.length)) as ExportMark
  } catch {}
  const names = (list: unknown, known: Set<string>) => Array.isArray(list) && list.every((name) => known.has(name))
  const fits =
    typeof mark === 'object' &&
    mark !== null &&
    (mark.lacks === undefined || names(mark.lacks, MARKED_DIMENSIONS)) &&
    (mark.unknown === undefined ||
      (typeof mark.unknown === 'object' && names(Object.keys(mark.unknown), MARKED_DIMENSIONS) && Object.values(mark.unknown).every((c) => names(c, MARKED_COUNTERS))))
  if (!fits)
    throw new Error(
      `${path}: its comment begins as QuietCount's export marks one, but the rest is not {"lacks":[dimensions],"unknown":{dimension:[counters]}}: ${JSON.stringify(comment.slice(0, 80))}`,
    )
  return mark
}

export interface ExportSource {
  files: ExportFile[]
  close(): void
}

export async function openExport(path: string): Promise<ExportSource> {
  let stats: ReturnType<typeof statSync>
  try {
    stats = statSync(path)
  } catch {
    throw new Error(`${path}: no such file or folder`)
  }
  if (stats.isDirectory()) {
    const files = readdirSync(path)
      .filter((name) => name.endsWith('.csv') || name.endsWith('.csv.gz'))
      .sort()
      .map((name) => plainFile(join(path, name)))
    return { files, close() {} }
  }
  if (!path.endsWith('.zip')) return { files: [plainFile(path, stats.size)], close() {} }
  return zipFiles(path, stats.size)
}

/** The CSV entries of a zip archive, refused when they are too many or expand too far for the archive's size. */
async function zipFiles(path: string, size: number): Promise<ExportSource> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, opened) =>
      error ? reject(new Error(`${path}: not a readable zip archive (${error.message})`)) : resolve(opened),
    ),
  )
  try {
    if (zip.entryCount > MAX_ENTRIES)
      throw new Error(`${path}: holds ${zip.entryCount.toLocaleString('en')} entries; an export has a few, at most ${MAX_ENTRIES.toLocaleString('en')}`)
    const entries = await new Promise<yauzl.Entry[]>((resolve, reject) => {
      const found: yauzl.Entry[] = []
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('.csv')) found.push(entry)
        zip.readEntry()
      })
      zip.on('end', () => resolve(found))
      zip.on('error', (error: Error) => reject(new Error(`${path}: not a readable zip archive (${error.message})`)))
      zip.readEntry()
    })
    // yauzl checks each entry against its declared size as it inflates (validateEntrySizes), so
    // the declared sizes bound what the entries give; entries that share their data (a zip bomb
    // without nesting) each declare theirs, and the sum counts them all.
    const declared = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0)
    const limit = expansionLimit(size)
    if (declared > limit)
      throw new Error(
        `${path}: its CSV entries would expand to ${mebibytes(declared)} from ${mebibytes(size)}, more than ${EXPANSION} times its size (at most ${mebibytes(limit)}); if the export is genuine, unpack it and import the folder`,
      )
    const mark = readMark(zip.comment, path)
    return {
      files: entries
        .map((entry) => ({
          name: entry.fileName,
          bytes: entry.uncompressedSize,
          open: async () => failingAs('not a readable zip entry', await zip.openReadStreamPromise(entry)),
          ...(mark && { mark }),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      close: () => zip.close(),
    }
  } catch (error) {
    zip.close()
    throw error
  }
}

const expansionLimit = (bytes: number) => Math.max(EXPANSION * bytes, EXPANSION_ALLOWANCE)
const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toLocaleString('en', { maximumFractionDigits: 1 })} MiB`

/**
 * A file on disk; a gzipped one is read through gunzip under its name without `.gz`, and its size
 * is the uncompressed size its gzip trailer records (modulo 4 GiB), so progress counts the bytes
 * the CSV reader sees. The trailer can lie: what gunzip gives is counted, and cut at the expansion limit.
 */
function plainFile(path: string, bytes = statSync(path).size): ExportFile {
  const name = path.split('/').pop()!
  if (!name.endsWith('.gz')) return { name, bytes, open: async () => createReadStream(path) }
  const trailer = Buffer.alloc(4)
  const fd = openSync(path, 'r')
  try {
    if (bytes >= 18) readSync(fd, trailer, 0, 4, bytes - 4)
  } finally {
    closeSync(fd)
  }
  return {
    name: name.slice(0, -'.gz'.length),
    bytes: trailer.readUInt32LE(0),
    open: async () => {
      const raw = createReadStream(path)
      const gunzip = createGunzip()
      const limit = expansionLimit(bytes)
      const bounded = atMost(
        limit,
        () => `expands past ${mebibytes(limit)}, more than ${EXPANSION} times its ${mebibytes(bytes)}; if it is genuine, gunzip it and import the CSV file`,
      )
      // pipe() forwards no error: a failed read must reach the CSV reader through what it reads.
      raw.on('error', (error) => gunzip.destroy(error))
      gunzip.on('error', (error) => bounded.destroy(error))
      bounded.on('close', () => {
        raw.destroy()
        gunzip.destroy()
      })
      return failingAs('not a readable gzip file', raw.pipe(gunzip).pipe(bounded))
    },
  }
}

/** A read stopped on purpose: its message is the whole story. */
class ReadRefused extends Error {}

/** A pass-through that fails once more than `limit` bytes have gone through it. */
function atMost(limit: number, why: () => string): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length
      done(seen > limit ? new ReadRefused(why()) : null, chunk)
    },
  })
}

/**
 * Marks the failures of a stream with what they mean for the user (a damaged zip entry, a gzip
 * file), so that csvLines can say it: zlib's codes alone cannot tell a zip entry from a gzip file.
 */
function failingAs(what: string, stream: Readable): Readable {
  stream.on('error', (error: Error & { failure?: string }) => {
    if (!(error instanceof ReadRefused)) error.failure ??= what
  })
  return stream
}

/** The records of an export's file, its cells as the tool wrote them: a QuietCount export's defusing undone. */
export async function* linesOf(file: ExportFile, onBytes?: (bytes: number) => void): AsyncGenerator<CsvLine> {
  for await (const line of csvLines(await file.open(), onBytes, file.name)) yield file.mark ? { line: line.line, fields: line.fields.map(undefused) } : line
}

/** One CSV record with the line it ends on (1 is the header). */
export interface CsvLine {
  line: number
  fields: string[]
}

/**
 * The records of a CSV file (csv-parse: RFC 4180 quoting, a byte-order mark skipped, blank lines
 * skipped, a record of more than MAX_RECORD bytes refused before it is held), streamed;
 * `onBytes` hears how much of the file has been read; `name` begins an error's message.
 */
export async function* csvLines(input: Readable, onBytes?: (bytes: number) => void, name?: string): AsyncGenerator<CsvLine> {
  if (onBytes) input.on('data', (chunk: Buffer) => onBytes(chunk.length))
  const parser = input.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD }))
  // pipe() forwards no error: a stream that fails (a damaged gzip file) must end the loop below, not leave it waiting.
  input.on('error', (error) => parser.destroy(error))
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: info.lines, fields: record }
  } catch (error) {
    throw new Error(`${name ? `${name}: ` : ''}${readFailure(error as Error & { code?: unknown; lines?: number; failure?: string })}`)
  } finally {
    input.destroy()
  }
}

/** What a failed read means, in one line: the record too long, the CSV broken, or the container damaged. */
function readFailure(error: Error & { code?: unknown; lines?: number; failure?: string }): string {
  const at = error.lines ? `line ${error.lines}: ` : ''
  if (error instanceof ReadRefused) return error.message
  if (error.code === 'CSV_MAX_RECORD_SIZE') return `${at}a record must be at most ${MAX_RECORD.toLocaleString('en')} bytes (this one is longer: is it an export's CSV file?)`
  if (error.failure) return `${error.failure} (${error.message})`
  return `${at}not readable as CSV (${error.message})`
}
