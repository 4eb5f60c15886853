import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createCollector } from '../../src/collector/http/handler.js'
import { registryFile } from '../../src/collector/sites/registry.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import type { Store } from '../../src/collector/stores/store.js'
import { parseBeacon } from '../../src/shared/parse-beacon.js'
import { bodies, FUZZ_RUNS, FUZZ_SITE } from './beacon-bodies.js'

// The collector's ingest endpoint under random, mutated and hostile bodies, with a real SQLite
// file behind it: every request gets a 2xx or a 4xx, never a 5xx, and the store holds exactly
// what the accepted beacons counted: a refused body changes no count.

const dir = mkdtempSync(join(tmpdir(), 'quietcount-fuzz-'))
let store: Store
let collector: ReturnType<typeof createCollector>
const errors: string[] = []

beforeAll(async () => {
  const registry = registryFile(join(dir, 'quietcount.json'))
  registry.write({ sites: [{ id: FUZZ_SITE, origins: [], timezone: 'UTC', shares: [] }], tokens: [] })
  store = sqliteStore(join(dir, 'counts.db'))
  await store.migrate()
  collector = createCollector({ store, registry, rateLimit: false, expireEveryMs: 0 })
  vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')))
})
afterAll(async () => {
  vi.restoreAllMocks()
  await collector.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const post = (body: string) =>
  collector.fetch(
    new Request('http://collector.test/api/collect', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
      body,
    }),
  )

it(
  `answers every body with a 2xx or a 4xx and counts only what it accepted (${FUZZ_RUNS.toLocaleString('en')} cases)`,
  async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
    const expected = { views: 0, events: 0, seconds: 0 }
    const statuses = new Map<number, number>()
    let done = 0
    // Sampled rather than asserted, so that requests can be in flight together (as in a group commit).
    while (done < FUZZ_RUNS) {
      const chunk = fc.sample(bodies, { numRuns: Math.min(200, FUZZ_RUNS - done), seed: seed + done })
      const answers = await Promise.all(chunk.map(async (body) => ({ body, status: (await post(body)).status })))
      for (const { body, status } of answers) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (status >= 500) throw new Error(`seed ${seed}: ${status} for the body ${JSON.stringify(body.slice(0, 300))}`)
        if (status !== 204) continue
        const parsed = parseBeacon(body)
        if (!parsed.ok) throw new Error(`seed ${seed}: 204 for a body parseBeacon refuses: ${parsed.error.message}`)
        for (const page of parsed.beacon.pages ?? []) {
          expected.views += page.views
          expected.seconds += page.seconds
        }
        for (const event of parsed.beacon.events ?? []) expected.events += event.count
      }
      done += chunk.length
    }
    const [total] = (await store.query([{ site: FUZZ_SITE, parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
    expect({ views: total!.views, events: total!.events, seconds: total!.seconds }, `seed ${seed}`).toEqual(expected)
    expect(errors).toEqual([])
    // Both kinds of answer were reached, refusals of several kinds among them.
    expect(statuses.get(204)).toBeGreaterThan(FUZZ_RUNS / 20)
    expect(statuses.get(400)).toBeGreaterThan(FUZZ_RUNS / 4)
    expect(statuses.get(403)).toBeGreaterThan(0)
  },
  120_000 + FUZZ_RUNS,
)
