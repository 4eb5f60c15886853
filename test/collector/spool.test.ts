import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSpool } from '../../src/collector/ingest/spool.js'
import { type Row, TABLES } from '../../src/collector/schema.js'

const dir = mkdtempSync(join(tmpdir(), 'quietcount-spool-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const fresh = () => join(dir, `${files++}.spool`)

/** A row with every column of its table, as the spool gives rows back. */
const row = (path: string, views = 1): Row => ({
  table: 'detail_pages',
  site: 's.test',
  time: 500_000,
  dims: { ...Object.fromEntries(TABLES.detail_pages.dimensions.map((d) => [d, ''])), path },
  counts: { ...Object.fromEntries(TABLES.detail_pages.counters.map((c) => [c, 0])), views },
})

describe('spool', () => {
  it('keeps batches across a reopen, in order, and continues their numbers after it is emptied', async () => {
    const file = fresh()
    const spool = await openSpool(file)
    expect(spool.size()).toMatchObject({ batches: 0 })
    await spool.append([row('/a')])
    await spool.append([row('/b'), row('/c', 2)])
    await spool.close()
    const again = await openSpool(file)
    expect(again.key).toBe(spool.key)
    expect(await again.read(1_000)).toEqual([
      { seq: 1, rows: [row('/a')] },
      { seq: 2, rows: [row('/b'), row('/c', 2)] },
    ])
    // At least one batch, then whole batches up to the row bound.
    expect((await again.read(1)).map((b) => b.seq)).toEqual([1])
    await again.drop(1)
    expect((await again.read(1_000)).map((b) => b.seq)).toEqual([2])
    await again.drop(2)
    expect(again.size().batches).toBe(0)
    await again.append([row('/d')])
    await again.close()
    const third = await openSpool(file)
    expect(third.key).toBe(spool.key)
    expect(await third.read(1_000)).toEqual([{ seq: 3, rows: [row('/d')] }])
    await third.close()
  })

  it('drops a last line cut short by a crash (never acknowledged), and appends after the good part', async () => {
    const file = fresh()
    const spool = await openSpool(file)
    await spool.append([row('/kept')])
    await spool.close()
    appendFileSync(file, '{"seq":2,"rows":[{"table":"detail_pa')
    const again = await openSpool(file)
    expect((await again.read(1_000)).map((b) => b.seq)).toEqual([1])
    await again.append([row('/next')])
    await again.close()
    const third = await openSpool(file)
    expect(await third.read(1_000)).toEqual([
      { seq: 1, rows: [row('/kept')] },
      { seq: 2, rows: [row('/next')] },
    ])
    await third.close()
  })

  it('refuses a file that is not a spool, and one corrupt before its last line, naming the file', async () => {
    const other = fresh()
    writeFileSync(other, 'hello\n')
    await expect(openSpool(other)).rejects.toThrow(`spool ${other} is not a QuietCount spool`)
    const file = fresh()
    const spool = await openSpool(file)
    await spool.append([row('/a')])
    await spool.append([row('/b')])
    await spool.close()
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.replace('"seq":1', '"seq":1x'))
    await expect(openSpool(file)).rejects.toThrow(/is corrupt at byte \d+ \(not a JSON line, and not the last one\)/)
    writeFileSync(file, text.replace('"seq":2', '"seq":7'))
    await expect(openSpool(file)).rejects.toThrow('batch 7 where 2 was expected')
    // A failed open leaves no lock behind.
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  it('refuses to replay batches into another store than the one they were taken for, and follows the store once empty', async () => {
    const file = fresh()
    const spool = await openSpool(file, { store: 'postgres://db-a/counts' })
    await spool.append([row('/a')])
    await spool.close()
    await expect(openSpool(file, { store: 'postgres://db-b/counts' })).rejects.toThrow(
      `spool ${file} holds 1 batches for the store "postgres://db-a/counts", not "postgres://db-b/counts": serve that store to replay them, or move the file away`,
    )
    const again = await openSpool(file, { store: 'postgres://db-a/counts' })
    await again.drop(1)
    await again.close()
    const other = await openSpool(file, { store: 'postgres://db-b/counts' })
    await other.close()
  })

  it('is held by one process at a time, and taken over from one that died', async () => {
    const file = fresh()
    const spool = await openSpool(file)
    await expect(openSpool(file)).rejects.toThrow(`spool ${file} is in use by process ${process.pid}`)
    await spool.close()
    // A lock left by a process that no longer runs.
    writeFileSync(`${file}.lock`, '999999999')
    const again = await openSpool(file)
    await again.close()
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  it('refuses a batch past its bound and writes nothing of it', async () => {
    const file = fresh()
    const spool = await openSpool(file, { maxBytes: 4096 })
    const big = Array.from({ length: 20 }, (_, i) => row(`/${'x'.repeat(20)}${i}`))
    await expect(spool.append(big)).resolves.toBeUndefined()
    const bytes = spool.size().bytes
    expect(spool.append(big)).toBe('full')
    expect(spool.size()).toEqual({ batches: 1, bytes })
    await spool.close()
    truncateSync(file, bytes)
    await expect(openSpool(file, { maxBytes: 100 })).rejects.toThrow('spool maxBytes must be a whole number of bytes, at least 4096 (got 100)')
  })
})
