import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { openStore } from '../src/collector/stores/open.js'
import { startServe } from './serve.js'
import { MODEL, random, zipf } from './traffic.js'

/**
 * `npm run soak -- --minutes 10 [--rate 300] [--store URL]`: the built `quietcount serve` under
 * steady load for a while, its resident memory sampled every five seconds. The traffic is made
 * to grow every map the collector keeps if one were unbounded: each beacon comes from one of a
 * million client addresses (through X-Forwarded-For, with --trust-proxy and the rate limit on)
 * and one of 100,000 user agents, for Zipf-distributed paths. At the end the collector is
 * stopped (SIGTERM commits what waits) and the store must hold what was acknowledged, and no
 * more than was sent.
 *
 * Memory: RSS is printed, but not judged (V8 grows its heap ahead of need and gives it back
 * lazily, which looks like a leak). The rule is the live heap after a forced full collection
 * (serve runs with --expose-gc and heap-probe.js): flat when the heap at the end is within 10%
 * (and 2 MiB) of the heap after warm-up (the first minute, or the first quarter of a shorter
 * run: caches filling, JIT). Where the probe cannot collect, the fallback rule is the slope of
 * the second half's RSS: flat under 1% of its mean a minute. The output names the rule used.
 */

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '300' }, store: { type: 'string' } } })
const minutes = Number(values.minutes)
const rate = Number(values.rate)
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes must be a number from 0 to 1440 (got ${values.minutes})`)
if (!(Number.isInteger(rate) && rate > 0 && rate <= 5_000)) throw new Error(`--rate must be a whole number of beacons a second from 1 to 5000 (got ${values.rate})`)

const dir = mkdtempSync(join(tmpdir(), 'quietcount-soak-'))
const config = join(dir, 'quietcount.json')
writeFileSync(config, JSON.stringify({ sites: [{ id: 'soak.test', origins: [], timezone: 'Europe/Madrid', shares: [] }], tokens: [] }))
const store = values.store ?? `sqlite:${join(dir, 'soak.db')}`
const probe = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'heap-probe.js')).href
const serve = await startServe(['--store', store, '--config', config, '--trust-proxy', '--rate-limit', '20'], {
  cwd: dir,
  execArgv: ['--expose-gc', '--import', probe],
  ipc: true,
})
/** The live heap of serve after a full collection, in MiB; undefined when it cannot collect. */
const liveHeap = () =>
  new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 10_000)
    serve.server.once('message', (answer: { heapUsed: number; collected: boolean }) => {
      clearTimeout(timer)
      resolve(answer.collected ? Math.round((answer.heapUsed / 2 ** 20) * 10) / 10 : undefined)
    })
    serve.server.send('heap')
  })

const next = random(7)
const agents = zipf(
  Array.from({ length: 100_000 }, (_, k) => `Mozilla/5.0 (X11; Linux x86_64; rv:${100 + (k % 40)}.0) Gecko/20100101 Firefox/${100 + (k % 40)}.0 Soak/${k}`),
  0.8,
)
const body = () =>
  JSON.stringify({
    v: 1,
    site: 'soak.test',
    tz: 'Europe/Madrid',
    lang: 'es',
    screen: MODEL.screen.draw(next),
    pages: [{ path: MODEL.path.draw(next), flags: next() < 0.3 ? 7 : 0, views: 1, seconds: Math.floor(next() * 60), scroll: Math.floor(next() * 100) }],
  })
const address = () => `10.${Math.floor(next() * 16)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}`

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const counts = { sent: 0, acknowledged: 0, refused: 0, failed: 0 }
const latencies: number[] = []
const samples: { second: number; rssMiB: number }[] = []
const heaps: { second: number; heapMiB: number }[] = []
const warmAt = Math.min(60, (minutes * 60) / 4)
const started = performance.now()
const inFlight = new Set<Promise<void>>()
const send = () => {
  counts.sent++
  const at = performance.now()
  const request = fetch(`${serve.url}/api/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': agents.draw(next), 'x-forwarded-for': address() },
    body: body(),
  })
    .then(async (response) => {
      await response.arrayBuffer()
      if (response.status === 204) {
        counts.acknowledged++
        latencies.push(performance.now() - at)
      } else counts.refused++
    })
    .catch(() => void counts.failed++)
    .finally(() => inFlight.delete(request))
  inFlight.add(request)
}

// Every 10 ms, as many beacons as keep the rate; RSS every 5 s.
const end = started + minutes * 60_000
let due = 0
const ticker = setInterval(() => {
  due += rate / 100
  for (; due >= 1; due--) send()
}, 10)
const sampler = setInterval(() => {
  const rssMiB = Math.round(rssOf(serve.server.pid!) * 10) / 10
  const second = Math.round((performance.now() - started) / 1000)
  samples.push({ second, rssMiB })
  if (second % 60 < 5) console.log(`[soak] ${second} s: RSS ${rssMiB} MiB, ${counts.acknowledged.toLocaleString('en')} acknowledged of ${counts.sent.toLocaleString('en')} sent`)
}, 5_000)
const heapAt = async (second: number) => {
  await new Promise((resolve) => setTimeout(resolve, started + second * 1000 - performance.now()))
  const heapMiB = await liveHeap()
  if (heapMiB !== undefined) heaps.push({ second, heapMiB })
}
await heapAt(warmAt)
await new Promise((resolve) => setTimeout(resolve, end - performance.now()))
clearInterval(ticker)
clearInterval(sampler)
await Promise.all(inFlight)
await heapAt(minutes * 60) // the end, under no load: only what is kept
await serve.stop()

const opened = await openStore(store)
const [totals] = (await opened.query([{ site: 'soak.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
await opened.close()
const stored = Number(totals?.views ?? 0)
/** The memory verdict, by the live heap when the probe collected, else by the second half's RSS slope. */
const memory = (() => {
  const [warm, last] = heaps
  if (warm && last) {
    const flat = last.heapMiB <= warm.heapMiB * 1.1 + 2
    return {
      flat,
      text: `rule: live heap after a forced collection (--expose-gc): ${warm.heapMiB} MiB at ${warm.second} s, ${last.heapMiB} MiB at the end: ${flat ? 'flat' : 'GROWING'}`,
    }
  }
  const half = samples.filter((s) => s.second >= (minutes * 60) / 2)
  const mean = half.reduce((sum, s) => sum + s.rssMiB, 0) / half.length
  const t = half.reduce((sum, s) => sum + s.second, 0) / half.length
  const slope = (half.reduce((sum, s) => sum + (s.second - t) * (s.rssMiB - mean), 0) / half.reduce((sum, s) => sum + (s.second - t) ** 2, 0)) * 60
  const flat = half.length < 2 || slope <= mean * 0.01
  return {
    flat,
    text: `rule: slope of the second half's RSS (no forced collection): ${Math.round(slope * 100) / 100} MiB a minute around ${Math.round(mean)} MiB: ${flat ? 'flat' : 'GROWING'}`,
  }
})()
latencies.sort((a, b) => a - b)
const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]! * 10) / 10
console.log(`[soak] ${minutes} min at ${rate} beacons/s on ${store.startsWith('sqlite:') ? 'SQLite' : store.split(':')[0]}`)
console.log('[soak] second,rss_mib')
for (const s of samples) console.log(`[soak] ${s.second},${s.rssMiB}`)
console.log(
  `[soak] sent ${counts.sent}, acknowledged ${counts.acknowledged}, refused ${counts.refused}, failed ${counts.failed}, stored ${stored}: ${counts.acknowledged <= stored && stored <= counts.sent ? 'acknowledged ≤ stored ≤ sent' : 'MISMATCH'}`,
)
console.log(`[soak] acknowledgement p50 ${pct(50)} ms, p99 ${pct(99)} ms`)
console.log(`[soak] memory ${memory.text}`)
rmSync(dir, { recursive: true, force: true })
process.exit(counts.acknowledged <= stored && stored <= counts.sent && memory.flat ? 0 : 1)
