import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { BEACON, distinctBeacon, startLoad } from '../test/faults/load.js'
import { startPostgres } from '../test/services/setup.js'
import { machine, median, round } from './machine.js'
import { startServe } from './serve.js'

/**
 * `npm run bench:faults [-- --seconds 10]`: the figures behind the fault tests (test/faults/),
 * which check behaviour only (answered, not lost, acknowledged at all), printed here:
 *
 * 1. /healthz answer time of the built `quietcount serve` on SQLite, idle and while a commit
 *    waits for the write lock another process holds (the test: it answers before the lock goes).
 * 2. Beacons acknowledged per second from 8 connections before, during and after an outage of
 *    its PostgreSQL server (spooled during it; the test: some are, none lost), when PostgreSQL
 *    can be started.
 */

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } })
const seconds = Number(values.seconds)
if (!(seconds > 0 && seconds <= 600)) throw new Error(`--seconds must be a number from 0 to 600 (got ${values.seconds})`)

const dir = mkdtempSync(join(tmpdir(), 'quietcount-bench-faults-'))
const config = join(dir, 'quietcount.json')
writeFileSync(config, JSON.stringify({ sites: [{ id: 'faults.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] }))
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string) => console.log(`[bench:faults] ${line}`)
const { cpu, cores, load } = machine()
log(`${cpu}, ${cores} cores, load ${load.join(' ')}`)

/** Times `count` /healthz answers one after another: median and slowest, in ms. */
async function health(url: string, count: number) {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await fetch(`${url}/healthz`)
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`)
    times.push(performance.now() - started)
  }
  return `median ${round(median(times), 1)} ms, slowest ${round(Math.max(...times), 1)} ms (${count} answers)`
}

try {
  // 1. Health while a commit waits for the SQLite write lock.
  const url = `sqlite:${join(dir, 'locked.db')}`
  const serve = await startServe(['--rate-limit', '0', '--store', url, '--config', config], { cwd: dir })
  try {
    await health(serve.url, 5) // warm-up
    log(`/healthz idle: ${await health(serve.url, 50)}`)
    const lock = new Database(url.slice('sqlite:'.length))
    lock.exec('BEGIN IMMEDIATE')
    let answered = false
    const posted = fetch(`${serve.url}/api/collect`, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 Firefox/133.0' }, body: BEACON })
    void posted.then(() => (answered = true))
    await pause(300)
    log(
      `/healthz while a commit waits for the write lock: ${await health(serve.url, 50)}${answered ? ' (the beacon was answered before the lock went: not measured as meant)' : ''}`,
    )
    lock.exec('ROLLBACK')
    lock.close()
    log(`the waiting beacon answered ${(await posted).status} once the lock was released`)
  } finally {
    await serve.stop()
  }

  // 2. Acknowledgements per second around a PostgreSQL outage.
  const server = await startPostgres().catch((error: Error) => {
    log(`PostgreSQL outage: not measured (${error.message})`)
    return undefined
  })
  if (server) {
    try {
      const store = server.url.replace('{db}', 'qc_bench_outage')
      const outage = await startServe(['--rate-limit', '0', '--store', store, '--config', config, '--spool', join(dir, 'outage.spool')], { cwd: dir })
      const traffic = startLoad(outage.url, 8, distinctBeacon)
      const rate = async (phase: string) => {
        const before = traffic.acknowledged
        await pause(seconds * 1000)
        log(`PostgreSQL ${phase}: ${round((traffic.acknowledged - before) / seconds, 1)} beacons acknowledged a second (8 connections, ${seconds} s)`)
      }
      try {
        await pause(1_000)
        await rate('up')
        await server.down()
        await rate('down (spooled)')
        await server.up()
        await rate('back (spool replayed beside new beacons)')
      } finally {
        await traffic.stop()
        await outage.stop()
      }
    } finally {
      await server.stop()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
