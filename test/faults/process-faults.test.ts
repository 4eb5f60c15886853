import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { startServe } from '../../bench/serve.js'
import { openStore } from '../../src/collector/stores/open.js'
import { describeStore, type StoreUnderTest, storesUnderTest } from '../collector/stores.js'
import { BEACON, startLoad, waitFor } from './load.js'

// Faults of the collector's own process, on every store: the built `quietcount serve` under load
// from many connections, killed with SIGKILL or stopped with SIGTERM in the middle of it. What
// the load saw acknowledged must be in the store, nothing counted twice, the store consistent,
// and a restarted collector must take beacons again.

const dir = mkdtempSync(join(tmpdir(), 'quietcount-faults-'))
const config = join(dir, 'quietcount.json')
writeFileSync(config, JSON.stringify({ sites: [{ id: 'faults.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] }))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Page views the store holds for the test site. */
async function storedViews(url: string) {
  const store = await openStore(url)
  try {
    const [totals] = (await store.query([{ site: 'faults.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
    return Number(totals?.views ?? 0)
  } finally {
    await store.close()
  }
}

/** One more beacon through a restarted collector, stopped with SIGTERM: it must be taken and the stop must exit 0. */
async function restartTakesBeacons(url: string, before: number) {
  const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
  const response = await fetch(`${serve.url}/api/collect`, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 Firefox/133.0' }, body: BEACON })
  expect(response.status).toBe(204)
  await serve.stop()
  expect(serve.server.exitCode).toBe(0)
  expect(await storedViews(url)).toBe(before + 1)
}

let files = 0
/** A fresh store's URL for `serve` to open: a new SQLite file in the test's folder, or a new database on a test server. */
async function freshUrl(underTest: StoreUnderTest) {
  if (underTest.name === 'sqlite') return `sqlite:${join(dir, `counts-${files++}.db`)}`
  const fresh = await underTest.open()
  await fresh.close()
  return fresh.url
}

it('exits 1 at a second SIGTERM while a commit hangs (another process holds the SQLite write lock), naming what was not committed', async () => {
  const url = `sqlite:${join(dir, `counts-${files++}.db`)}`
  const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
  let errors = ''
  serve.server.stderr!.on('data', (chunk: Buffer) => (errors += chunk))
  const lock = new Database(url.slice('sqlite:'.length))
  lock.exec('BEGIN IMMEDIATE')
  const load = startLoad(serve.url, 8)
  // Each of the 8 connections has sent a beacon that now waits behind the hanging commit; the
  // pause lets the collector read them (a SIGTERM before that would find nothing waiting).
  await waitFor('8 beacons sent', () => load.sent >= 8)
  await pause(500)
  const exited = new Promise<number | null>((resolve) => serve.server.once('exit', resolve))
  serve.server.kill('SIGTERM')
  await pause(200)
  serve.server.kill('SIGTERM')
  expect(await exited).toBe(1)
  await load.stop()
  lock.exec('ROLLBACK')
  lock.close()
  expect(errors).toMatch(/SIGTERM again while stopping; exiting with [1-9]\d* beacons \(\d+ merged rows\) not committed and not acknowledged/)
  expect(load.acknowledged).toBe(0)
  expect(await storedViews(url)).toBe(0)
}, 60_000)

it('keeps answering while a commit waits for a lock another process holds, and commits once it is released', async () => {
  const url = `sqlite:${join(dir, `counts-${files++}.db`)}`
  const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
  try {
    const lock = new Database(url.slice('sqlite:'.length))
    lock.exec('BEGIN IMMEDIATE')
    const posted = fetch(`${serve.url}/api/collect`, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 Firefox/133.0' }, body: BEACON })
    let answered = false
    void posted.then(() => (answered = true))
    await pause(300)
    // The commit waits on the writer's thread: the collector's own thread still answers, while the
    // beacon waits for the lock (how fast it answers is a figure for the bench: npm run bench:faults).
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200)
    expect(answered, 'the beacon was answered before the lock was released').toBe(false)
    lock.exec('ROLLBACK')
    lock.close()
    expect((await posted).status).toBe(204)
    expect(await storedViews(url)).toBe(1)
  } finally {
    await serve.stop()
  }
}, 60_000)

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'quietcount serve', () => {
    it('loses no acknowledged beacon and counts none twice when killed with SIGKILL under load; restarted, it takes beacons again', async () => {
      const url = await freshUrl(underTest)
      const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
      const load = startLoad(serve.url)
      // Killed with beacons acknowledged and more in flight, however long the first 50 take.
      await waitFor('50 beacons acknowledged', () => load.acknowledged >= 50)
      const exited = new Promise((resolve) => serve.server.once('exit', resolve))
      serve.server.kill('SIGKILL')
      await exited
      await load.stop()
      expect([...load.refused.keys()]).toEqual([])
      if (url.startsWith('sqlite:')) {
        const db = new Database(url.slice('sqlite:'.length))
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
        db.close()
      }
      const stored = await storedViews(url)
      // Acknowledged ≤ stored ≤ sent: between the two, beacons whose answer the kill cut off.
      expect(stored).toBeGreaterThanOrEqual(load.acknowledged)
      expect(stored).toBeLessThanOrEqual(load.sent)
      await restartTakesBeacons(url, stored)
    }, 60_000)

    it('commits what waits on SIGTERM under load, says so, and exits 0', async () => {
      const url = await freshUrl(underTest)
      const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
      let output = ''
      serve.server.stdout!.on('data', (chunk: Buffer) => (output += chunk))
      const load = startLoad(serve.url)
      await waitFor('50 beacons acknowledged', () => load.acknowledged >= 50)
      await serve.stop()
      await load.stop()
      expect(serve.server.exitCode).toBe(0)
      expect(output).toMatch(/SIGTERM, committing \d+ waiting beacons, then stopping/)
      const stored = await storedViews(url)
      expect(stored).toBeGreaterThanOrEqual(load.acknowledged)
      expect(stored).toBeLessThanOrEqual(load.sent)
    }, 60_000)
  })
}
