import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { parse } from 'csv-parse'
import yauzl from 'yauzl'

/**
 * The CSV files of an export, from a zip archive (yauzl), a folder, or one file, gzipped or not
 * (GoatCounter mails a `.csv.gz`), each readable as often as needed: an import reads every file once to check it and again to write it, so that nothing is
 * written from a file with a bad line and nothing has to be held in memory meanwhile.
 */

export interface ExportFile {
  name: string
  /** Uncompressed bytes, for progress. */
  bytes: number
  open(): Promise<Readable>
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
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, opened) =>
      error ? reject(new Error(`${path}: not a readable zip archive (${error.message})`)) : resolve(opened),
    ),
  )
  const entries = await new Promise<yauzl.Entry[]>((resolve, reject) => {
    const found: yauzl.Entry[] = []
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('.csv')) found.push(entry)
      zip.readEntry()
    })
    zip.on('end', () => resolve(found))
    zip.on('error', reject)
    zip.readEntry()
  })
  return {
    files: entries
      .map((entry) => ({ name: entry.fileName, bytes: entry.uncompressedSize, open: () => zip.openReadStreamPromise(entry) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    close: () => zip.close(),
  }
}

/**
 * A file on disk; a gzipped one is read through gunzip under its name without `.gz`, and its size
 * is the uncompressed size its gzip trailer records (modulo 4 GiB), so progress counts the bytes
 * the CSV reader sees.
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
      // pipe() forwards no error: a failed read must reach the CSV reader through gunzip.
      raw.on('error', (error) => gunzip.destroy(error))
      gunzip.on('close', () => raw.destroy())
      return raw.pipe(gunzip)
    },
  }
}

/** One CSV record with the line it ends on (1 is the header). */
export interface CsvLine {
  line: number
  fields: string[]
}

/**
 * The records of a CSV file (csv-parse: RFC 4180 quoting, a byte-order mark skipped, blank lines
 * skipped), streamed; `onBytes` hears how much of the file has been read; `name` begins an error's message.
 */
export async function* csvLines(input: Readable, onBytes?: (bytes: number) => void, name?: string): AsyncGenerator<CsvLine> {
  if (onBytes) input.on('data', (chunk: Buffer) => onBytes(chunk.length))
  const parser = input.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }))
  // pipe() forwards no error: a stream that fails (a damaged gzip file) must end the loop below, not leave it waiting.
  input.on('error', (error) => parser.destroy(error))
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: info.lines, fields: record }
  } catch (error) {
    const at = (error as { lines?: number }).lines
    // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR) say the gzip file is damaged, not its CSV.
    const what = String((error as { code?: unknown }).code).startsWith('Z_') ? 'not a readable gzip file' : 'not readable as CSV'
    throw new Error(`${name ? `${name}: ` : ''}${at ? `line ${at}: ` : ''}${what} (${(error as Error).message})`)
  } finally {
    input.destroy()
  }
}
