import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { startServe } from '../../bench/serve.js'
import { openStore } from '../../src/collector/stores/open.js'
import { describeStore, storesUnderTest } from '../collector/stores.js'
import { type Server, startClickHouse, startPostgres } from '../services/setup.js'
import { distinctBeacon, distinctPath, startLoad, waitFor } from './load.js'

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

const starts: Record<string, () => Promise<Server>> = { postgres: startPostgres, clickhouse: startClickHouse }

/**
 * A server of its own, a database on it, a spool file, and the `serve` flags for them. Where the
 * shared test server could not be had, describeStore has skipped the test (failed it under CI).
 */
async function collectorOn(name: string, test: string) {
  const server = await starts[name]!()
  servers.push(server)
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

// Both stores at once (concurrent suites), to keep CI short.
for (const underTest of storesUnderTest().filter((s) => s.name in starts)) {
  const { name } = underTest
  describeStore.concurrent(underTest, `a store stopped for ${OUTAGE_MS / 1000} s under load, then started again`, () => {
    it('no crash, no acknowledged beacon lost, none counted twice, ingest resumes without a restart', { timeout: OUTAGE_MS + 150_000 }, async () => {
      const { server, url, spool, args } = await collectorOn(name, 'outage')
      const serve = await startServe(args, { cwd: dir })
      let errors = ''
      serve.server.stderr!.on('data', (chunk: Buffer) => (errors += chunk))
      const load = startLoad(serve.url, 8, distinctBeacon)
      try {
        // Counts, not rates: each phase waits for beacons acknowledged in it, however slow the machine.
        await waitFor('beacons acknowledged before the outage', () => load.acknowledged > 10)
        await server.down()
        const down = load.acknowledged
        await pause(OUTAGE_MS)
        await waitFor('beacons acknowledged (spooled) during the outage', () => load.acknowledged - down > 10)
        const duringOutage = load.acknowledged - down
        await server.up()
        const up = load.acknowledged
        // Ingest resumes: wait for it (a busy machine replays the spool and commits more slowly).
        await waitFor('beacons acknowledged after the outage', () => load.acknowledged - up > 10)
        await load.stop()
        const afterOutage = load.acknowledged - up
        await drained(spool, 60_000)
        // Said once the last replay's file work is done, just after the spool is emptied.
        await waitFor('"the store is back" logged', () => /the store is back/.test(errors))
        await serve.stop()
        expect(serve.server.exitCode, errors).toBe(0)
        expect(errors).toMatch(/the store is away \(.*\); commits go to the spool .* until it is back/)
        expect(errors).toMatch(/the store is back; replaying the spool/)
        // Beacons were taken (spooled) during the outage and after it, without a restart.
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
    })

    it('a collector killed while the store is away replays its spool when started again, each beacon once', { timeout: 150_000 }, async () => {
      const { server, url, spool, args } = await collectorOn(name, 'killed')
      const serve = await startServe(args, { cwd: dir })
      const load = startLoad(serve.url, 8, distinctBeacon)
      await pause(1_000)
      await server.down()
      await waitFor('batches in the spool', () => readFileSync(spool, 'utf8').trim().split('\n').length > 10)
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
    })
  })
}
