import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import yazl from 'yazl'
import { daySessions, goatcounterTable, SESSIONS_PER_DAY } from '../../src/collector/formats/goatcounter/import.js'
import { PLAUSIBLE_PLAN } from '../../src/collector/formats/plausible/import.js'
import { EXPANSION_ALLOWANCE, MAX_ENTRIES, MAX_RECORD, openExport } from '../../src/collector/imports/export-files.js'
import { runImport } from '../../src/collector/imports/run-import.js'
import type { Site } from '../../src/collector/sites/sites.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import { peakMemoryFlags, peakMiB } from './peak-memory.js'

// What no input may do to an import: take more than 256 MB, or end in a stack trace. The files
// are made here, as the attacks make them, and deleted afterwards (some are hundreds of MB).

const dir = mkdtempSync(join(tmpdir(), 'quietcount-bounds-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const MB = 2 ** 20
const PAGES_HEADER = 'date,hostname,page,visits,visitors,pageviews\n'
const GOATCOUNTER_HEADER = '2Path,Title,Event,UserAgent,Browser,System,Session,Bot,Referrer,Referrer scheme,Screen size,Location,FirstVisit,Date'

/** A zip of `entries`, each named and made of the chunks its generator yields, deflated or stored. */
async function zipOf(file: string, entries: [name: string, chunks: () => Iterable<Buffer>][], compress = true): Promise<string> {
  const zip = new yazl.ZipFile()
  for (const [name, chunks] of entries) zip.addReadStream(Readable.from(chunks()), name, { compress })
  zip.end()
  const out = createWriteStream(file)
  zip.outputStream.pipe(out)
  await finished(out)
  return file
}

/** A pages table whose second line is one page `mb` MiB long, never ended. */
function* hugeLine(mb: number) {
  yield Buffer.from(`${PAGES_HEADER}2024-01-01,example.org,/`)
  const chunk = Buffer.alloc(MB, 'a')
  for (let i = 0; i < mb; i++) yield chunk
}

/**
 * The built CLI's `import plausible` of `path` in a child process, and the child's peak resident
 * memory as the kernel counts it (getrusage's ru_maxrss, through process.resourceUsage() at exit).
 */
function importWithPeak(path: string) {
  const rss = join(dir, 'max-rss')
  const env = { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'bounds.db')}`, QUIETCOUNT_CONFIG: join(dir, 'quietcount.json') }
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [...peakMemoryFlags(rss), join(process.cwd(), 'dist/node/cli/main.js'), ...args], { env, cwd: dir, encoding: 'utf8' })
  if (cli('sites', 'list').stdout.indexOf('big.test') < 0) expect(cli('sites', 'add', 'big.test', '--timezone', 'UTC').status).toBe(0)
  const run = cli('import', 'plausible', '--site', 'big.test', path)
  const lines = run.stderr.split('\n').filter((line) => line && !/^(checking|writing): \d+%$/.test(line))
  return { status: run.status, lines, peakMiB: peakMiB(rss) }
}

describe('import bounds, through the built CLI: one line, under 256 MB', () => {
  it('refuses a zip of 400 KB whose one line is 400 MB, from its declared size, before inflating it', async () => {
    const zip = await zipOf(join(dir, 'deflated.zip'), [['imported_pages_20240101_20240101.csv', () => hugeLine(400)]])
    const { status, lines, peakMiB } = importWithPeak(zip)
    console.log(`[bounds] 400 MB line, deflated zip: peak RSS ${peakMiB.toFixed(0)} MiB`)
    expect(status).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^quietcount import: .*deflated\.zip: its CSV entries would expand to 400 MiB from 0\.\d MiB, more than 100 times its size \(at most 64 MiB\)/)
    expect(peakMiB).toBeLessThan(256)
  }, 120_000)

  // 600 MB: past the longest string V8 can make, where reading the line whole crashed the importer.
  it.each([600])(
    'refuses a stored zip whose one line is %i MB at the record bound, naming the file and line',
    async (mb) => {
      // Stored, so that no expansion bound stops it first: the CSV reader itself must.
      const zip = await zipOf(join(dir, `stored-${mb}.zip`), [['imported_pages_20240101_20240101.csv', () => hugeLine(mb)]], false)
      const { status, lines, peakMiB } = importWithPeak(zip)
      rmSync(zip)
      console.log(`[bounds] ${mb} MB line, stored zip: peak RSS ${peakMiB.toFixed(0)} MiB`)
      expect(status).toBe(1)
      expect(lines).toEqual([
        `quietcount import: imported_pages_20240101_20240101.csv: line 2: a record must be at most ${MAX_RECORD.toLocaleString('en')} bytes (this one is longer: is it an export's CSV file?)`,
      ])
      expect(peakMiB).toBeLessThan(256)
    },
    180_000,
  )
})

describe('import bounds, through the built CLI: the widest rows it keeps', () => {
  it('imports 100,000 lines of distinct 200-character paths and 64-character browser names under 256 MB', async () => {
    const export_ = join(dir, 'wide')
    mkdirSync(export_)
    const lines = (header: string, line: (i: number) => string) => `${header}\n${Array.from({ length: 50_000 }, (_, i) => line(i)).join('\n')}\n`
    const day = (i: number) => `2024-01-0${1 + (i % 9)}`
    writeFileSync(
      join(export_, 'imported_pages_20240101_20240109.csv'),
      lines(PAGES_HEADER.trim(), (i) => `${day(i)},example.org,/${'p'.repeat(190)}${String(i).padStart(8, '0')},1,1,1`),
    )
    writeFileSync(
      join(export_, 'imported_browsers_20240101_20240109.csv'),
      lines(
        'date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews',
        (i) => `${day(i)},${'b'.repeat(56)}${String(i).padStart(8, '0')},${i % 9999}.0,1,1,1,0,1`,
      ),
    )
    const { status, lines: errors, peakMiB } = importWithPeak(export_)
    console.log(`[bounds] 100,000 lines of the widest values: peak RSS ${peakMiB.toFixed(0)} MiB`)
    expect(errors.filter((line) => line.startsWith('quietcount'))).toEqual([])
    expect(status).toBe(0)
    expect(peakMiB).toBeLessThan(256)
  }, 180_000)
})

const SITE: Site = { id: 'bounds.test', origins: [], timezone: 'UTC', shares: [] }
const PLAUSIBLE = PLAUSIBLE_PLAN
const refusal = async (path: string, plan: Parameters<typeof runImport>[3] = PLAUSIBLE) => {
  const store = await sqliteStore(join(dir, `${Math.random()}.db`))
  await store.migrate()
  try {
    const source = await openExport(path)
    try {
      await runImport(store, SITE, source.files, plan)
    } finally {
      source.close()
    }
    return 'imported'
  } catch (error) {
    return (error as Error).message
  } finally {
    await store.close()
  }
}

describe('import bounds: zip entries and gzip files', () => {
  it(`refuses a zip of more than ${MAX_ENTRIES} entries before reading them`, async () => {
    const entries: [string, () => Iterable<Buffer>][] = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => [`x${i}.txt`, () => [Buffer.from('x')]])
    const zip = await zipOf(join(dir, 'many.zip'), entries)
    expect(await refusal(zip)).toBe(`${zip}: holds 1,001 entries; an export has a few, at most 1,000`)
  })

  it('refuses a zip bomb: entries that expand past 100 times the archive', async () => {
    const line = Buffer.from('2024-01-01,example.org,/,1,1,1\n'.repeat(4096))
    const lines = function* () {
      yield Buffer.from(PAGES_HEADER)
      for (let bytes = 0; bytes < EXPANSION_ALLOWANCE + MB; bytes += line.length) yield line
    }
    const zip = await zipOf(join(dir, 'bomb.zip'), [['imported_pages_20240101_20240101.csv', lines]])
    expect(await refusal(zip)).toMatch(/bomb\.zip: its CSV entries would expand to 65(\.\d)? MiB from 0\.\d MiB, more than 100 times its size \(at most 64 MiB\)/)
  })

  it('refuses an entry that holds more than its declared size, as it inflates it', async () => {
    const csv = `${PAGES_HEADER}${'2024-01-01,example.org,/,1,1,1\n'.repeat(100)}`
    const zip = await zipOf(join(dir, 'liar.zip'), [['imported_pages_20240101_20240101.csv', () => [Buffer.from(csv)]]])
    // The central directory (and the local header) now say 40 bytes: the entry holds more.
    const bytes = readFileSync(zip)
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    bytes.writeUInt32LE(40, central + 24)
    writeFileSync(zip, bytes)
    expect(await refusal(zip)).toMatch(/^imported_pages_20240101_20240101\.csv: not a readable zip entry \(too many bytes in the stream\. expected 40\. got at least \d+\)$/)
  })

  it('refuses a gzip file that expands past 100 times its size, as it reads it', async () => {
    // Long lines (each refused: too long a path), so that the reading, not the checking, is what takes the time.
    const line = 'x'.repeat(50_000 - 1)
    const file = join(dir, 'bomb.csv.gz')
    writeFileSync(file, gzipSync(`${GOATCOUNTER_HEADER}\n${`${line}\n`.repeat((EXPANSION_ALLOWANCE + MB) / 50_000)}`))
    expect(await refusal(file, { source: 'goatcounter', tableOf: goatcounterTable })).toMatch(
      /^bomb\.csv: expands past 64 MiB, more than 100 times its 0\.\d MiB; if it is genuine, gunzip it and import the CSV file$/,
    )
  })

  it(`holds at most ${SESSIONS_PER_DAY.toLocaleString('en')} GoatCounter sessions a day, and a long session by a hash of it`, () => {
    const sessions = daySessions()
    for (let i = 0; i < SESSIONS_PER_DAY; i++) expect(sessions.first('2024-01-01', String(i))).toBe(true)
    expect(sessions.first('2024-01-01', '1')).toBe(false)
    expect(sessions.first('2024-01-01', 'one more')).toBe(true)
    expect(sessions.first('2024-01-01', 'one more')).toBe(true)
    expect(sessions.crowded).toBe(2)
    const long = 's'.repeat(2000)
    expect(sessions.first('2024-01-02', long)).toBe(true)
    expect(sessions.first('2024-01-02', long)).toBe(false)
    expect(sessions.first('2024-01-02', `${long}2`)).toBe(true)
  })
})
