import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveCollector } from '../../src/collector/node.js'
import { registryFile } from '../../src/collector/registry.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import type { Store } from '../../src/collector/stores/store.js'

// The Node adapter over real sockets: which address the rate limiter sees.

const dir = mkdtempSync(join(tmpdir(), 'quietcount-node-'))
const registry = registryFile(join(dir, 'quietcount.json'))
let store: Store
beforeAll(async () => {
  registry.write({ sites: [{ id: 'node.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] })
  store = sqliteStore(join(dir, 'counts.db'))
  await store.migrate()
})
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const beacon = JSON.stringify({ v: 1, site: 'node.test', tz: 'UTC', lang: 'en', screen: 'desktop', pages: [{ path: '/', flags: 1, views: 1, seconds: 0, scroll: 0 }] })
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

describe('serveCollector', () => {
  it.each([
    [false, [204, 204, 429]],
    [true, [204, 204, 204]],
  ])('with trustProxy %s rate-limits by %s', async (trustProxy, statuses) => {
    const server = await serveCollector({ store, registry, port: 0, trustProxy, rateLimit: { perSecond: 0.001, burst: 2 } })
    try {
      const got = []
      // Three visitors behind one proxy; each claims another first address, which must not count.
      for (const visitor of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        const response = await fetch(`${server.url}/api/collect`, {
          method: 'POST',
          body: beacon,
          headers: { 'content-type': 'text/plain', 'user-agent': CHROME, 'x-forwarded-for': `10.0.0.1, ${visitor}` },
        })
        got.push(response.status)
      }
      expect(got).toEqual(statuses)
    } finally {
      await server.close()
    }
  })

  it('lets every beacon through with the rate limit off', async () => {
    const server = await serveCollector({ store, registry, port: 0, rateLimit: false })
    try {
      const statuses = await Promise.all(
        Array.from({ length: 300 }, () =>
          fetch(`${server.url}/api/collect`, { method: 'POST', body: beacon, headers: { 'content-type': 'text/plain', 'user-agent': CHROME } }).then((r) => r.status),
        ),
      )
      expect(new Set(statuses)).toEqual(new Set([204]))
    } finally {
      await server.close()
    }
  })

  it('rejects with a message naming the port when it is taken', async () => {
    const first = await serveCollector({ store, registry, port: 0 })
    const port = Number(new URL(first.url).port)
    try {
      await expect(serveCollector({ store, registry, port })).rejects.toThrow(`port ${port} is in use`)
    } finally {
      await first.close()
    }
  })
})
