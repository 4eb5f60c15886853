import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServe } from '../../bench/serve.js'
import { openStore } from '../../src/collector/stores/open.js'
import { type Server, startClickHouse, startPostgres } from '../services/setup.js'
import { distinctBeacon, distinctPath, startLoad } from './load.js'

// A store stopped under load, then started again: PostgreSQL and ClickHouse, each on a server of
// its own (the shared test servers must not go away under other suites), both at once to keep
// CI short. Every beacon is on a path of its own, so that a beacon counted twice shows as a path
// with two views. QUIETCOUNT_OUTAGE_MS shortens the outage for a quick local run.

const OUTAGE_MS = Number(process.env.QUIETCOUNT_OUTAGE_MS ?? 30_000)
const dir = mkdtempSync(join(tmpdir(), 'quietcount-outage-'))
const config = join(dir, 'quietcount.json')
writeFileSync(config, JSON.stringify({ sites: [{ id: 'faults.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] }))
const servers: Server[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
  rmSync(dir, { recursive: true, force: true })
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Page views per path the store holds for the test site. */
async function viewsByPath(url: string): Promise<Map<string, number>> {
  const store = await openStore(url)
  try {
    const [groups] = await store.query([{ site: 'faults.test', parts: [{ table: 'detail_pages', from: 0, to: 10 ** 7 }], groupBy: ['path'] }])
    return new Map(groups!.map((g) => [String(g.path), Number(g.views)]))
  } finally {
    await store.close()
  }
}

/** Waits until the spool file holds its header line only: every batch replayed. */
async function drained(file: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (readFileSync(file, 'utf8').trim().split('\n').length > 1) {
    if (Date.now() > deadline) throw new Error(`the spool ${file} still holds batches ${timeoutMs / 1000} s after the store came back`)
    await pause(200)
  }
}

const kinds = [
  { name: 'postgres', start: startPostgres },
  { name: 'clickhouse', start: startClickHouse },
]

/** A server of its own for one test, or undefined (skipped, saying so) when it cannot be had outside CI. */
async function ownServer(name: string, start: () => Promise<Server>): Promise<Server | undefined> {
  try {
    const server = await start()
    servers.push(server)
    return server
  } catch (error) {
    // Under CI=true a server that cannot be had fails the test, naming it; elsewhere it is skipped, saying so.
    if (process.env.CI === 'true') throw error
    console.warn(`[outage] ${name} SKIPPED: ${(error as Error).message}`)
    return undefined
  }
}

/** A server of its own, a database on it, a spool file, and the `serve` flags for them; undefined when skipped. */
async function collectorOn(name: string, start: () => Promise<Server>, test: string) {
  const server = await ownServer(name, start)
  if (!server) return undefined
  const url = server.url.replace('{db}', `qc_${test}_${process.pid}`)
  const spool = join(dir, `${name}-${test}.spool`)
  return { server, url, spool, args: ['--rate-limit', '0', '--store', url, '--config', config, '--spool', spool] }
}

/** Checks the store against what the load saw: every acknowledged beacon's path once, no path twice, nothing beyond what was sent. */
async function storedExactlyOnce(url: string, load: { acknowledgedBeacons: number[]; sent: number }) {
  const stored = await viewsByPath(url)
  const missing = load.acknowledgedBeacons.filter((n) => stored.get(distinctPath(n)) !== 1)
  expect(missing.length, `acknowledged beacons not stored exactly once (first: ${missing.slice(0, 5).map(distinctPath).join(', ')})`).toBe(0)
  const twice = [...stored].filter(([, views]) => views !== 1)
  expect(twice, 'paths counted more than once').toEqual([])
  expect(stored.size).toBeLessThanOrEqual(load.sent)
  return stored.size
}

describe(`a store stopped for ${OUTAGE_MS / 1000} s under load, then started again`, () => {
  it.concurrent.each(kinds)(
    '$name: no crash, no acknowledged beacon lost, none counted twice, ingest resumes without a restart',
    async ({ name, start }) => {
      const setUp = await collectorOn(name, start, 'outage')
      if (!setUp) return
      const { server, url, spool, args } = setUp
      const serve = await startServe(args, { cwd: dir })
      let errors = ''
      serve.server.stderr!.on('data', (chunk: Buffer) => (errors += chunk))
      const load = startLoad(serve.url, 8, distinctBeacon)
      try {
        await pause(2_000)
        const beforeOutage = load.acknowledged
        await server.down()
        const down = load.acknowledged
        await pause(OUTAGE_MS)
        const duringOutage = load.acknowledged - down
        await server.up()
        const up = load.acknowledged
        // Ingest resumes: wait for it (a busy machine replays the spool and commits more slowly),
        // rather than count what a fixed few seconds held.
        await pause(3_000)
        for (const deadline = Date.now() + 60_000; load.acknowledged - up <= 10 && Date.now() < deadline; ) await pause(100)
        await load.stop()
        const afterOutage = load.acknowledged - up
        await drained(spool, 60_000)
        // Said once the last replay's file work is done, just after the spool is emptied.
        for (const deadline = Date.now() + 5_000; !/the store is back/.test(errors) && Date.now() < deadline; ) await pause(50)
        await serve.stop()
        expect(serve.server.exitCode, errors).toBe(0)
        expect(errors).toMatch(/the store is away \(.*\); commits go to the spool .* until it is back/)
        expect(errors).toMatch(/the store is back; replaying the spool/)
        // Beacons were taken (spooled) all through the outage and after it, without a restart.
        expect(beforeOutage).toBeGreaterThan(10)
        expect(duringOutage).toBeGreaterThan(10)
        expect(afterOutage).toBeGreaterThan(10)
        // Only the commit in flight when the store went away was refused: 503, not acknowledged.
        expect([...load.refused.keys()].filter((status) => status !== 503)).toEqual([])
        const stored = await storedExactlyOnce(url, load)
        console.log(
          `[outage] ${name}: ${load.sent} sent, ${load.acknowledged} acknowledged (${duringOutage} during the outage), ${stored} stored, refused ${JSON.stringify(Object.fromEntries(load.refused))}`,
        )
      } finally {
        await load.stop()
        await serve.stop()
      }
    },
    OUTAGE_MS + 150_000,
  )

  it.concurrent.each(kinds)(
    '$name: a collector killed while the store is away replays its spool when started again, each beacon once',
    async ({ name, start }) => {
      const setUp = await collectorOn(name, start, 'killed')
      if (!setUp) return
      const { server, url, spool, args } = setUp
      const serve = await startServe(args, { cwd: dir })
      const load = startLoad(serve.url, 8, distinctBeacon)
      await pause(1_000)
      await server.down()
      await pause(3_000)
      const exited = new Promise((resolve) => serve.server.once('exit', resolve))
      serve.server.kill('SIGKILL')
      await exited
      await load.stop()
      expect(readFileSync(spool, 'utf8').trim().split('\n').length, 'batches in the spool').toBeGreaterThan(10)
      await server.up()
      const again = await startServe(args, { cwd: dir })
      try {
        await drained(spool, 60_000)
      } finally {
        await again.stop()
      }
      expect(again.server.exitCode).toBe(0)
      const stored = await storedExactlyOnce(url, load)
      expect(stored).toBeGreaterThanOrEqual(load.acknowledged)
    },
    150_000,
  )
})
