import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
 * more than was sent. Memory is called flat when the last minute's RSS is within 10% of the
 * RSS after the first minute (warm-up: caches filling, JIT).
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
const serve = await startServe(['--store', store, '--config', config, '--trust-proxy', '--rate-limit', '20'], { cwd: dir })

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
await new Promise((resolve) => setTimeout(resolve, end - performance.now()))
clearInterval(ticker)
clearInterval(sampler)
await Promise.all(inFlight)
await serve.stop()

const opened = await openStore(store)
const [totals] = (await opened.query([{ site: 'soak.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
await opened.close()
const stored = Number(totals?.views ?? 0)
const warm = samples.find((s) => s.second >= 60) ?? samples[0]!
const last = samples.filter((s) => s.second > minutes * 60 - 60)
const lastMax = Math.max(...last.map((s) => s.rssMiB))
latencies.sort((a, b) => a - b)
const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]! * 10) / 10
console.log(`[soak] ${minutes} min at ${rate} beacons/s on ${store.startsWith('sqlite:') ? 'SQLite' : store.split(':')[0]}`)
console.log('[soak] second,rss_mib')
for (const s of samples) console.log(`[soak] ${s.second},${s.rssMiB}`)
console.log(
  `[soak] sent ${counts.sent}, acknowledged ${counts.acknowledged}, refused ${counts.refused}, failed ${counts.failed}, stored ${stored}: ${counts.acknowledged <= stored && stored <= counts.sent ? 'acknowledged ≤ stored ≤ sent' : 'MISMATCH'}`,
)
console.log(`[soak] acknowledgement p50 ${pct(50)} ms, p99 ${pct(99)} ms`)
console.log(`[soak] RSS after warm-up (${warm.second} s) ${warm.rssMiB} MiB, last minute at most ${lastMax} MiB: ${lastMax <= warm.rssMiB * 1.1 ? 'flat' : 'GROWING'}`)
rmSync(dir, { recursive: true, force: true })
process.exit(counts.acknowledged <= stored && stored <= counts.sent && lastMax <= warm.rssMiB * 1.1 ? 0 : 1)
