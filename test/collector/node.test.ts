import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serveCollector } from '../../src/collector/http/node.js'
import { registryFile } from '../../src/collector/sites/registry.js'
import { hashToken } from '../../src/collector/sites/sites.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import type { Store } from '../../src/collector/stores/store.js'
import { mountDashboard } from '../../src/dashboard/routes.js'
import { mountExampleSite } from '../../src/example-site/mount.js'

// The Node adapter over real sockets: which address the rate limiter sees, what a client that
// leaves mid-body costs the log, and the headers of every answer.

const dir = mkdtempSync(join(tmpdir(), 'quietcount-node-'))
const registry = registryFile(join(dir, 'quietcount.json'))
let store: Store
beforeAll(async () => {
  registry.write({
    sites: [
      {
        id: 'node.test',
        origins: [],
        timezone: 'UTC',
        shares: [
          { id: 'node-link-0123456789', epsilon: 1, seed: 'A'.repeat(43), panels: ['page'], created: '2026-12-01T00:00:00Z' },
          { id: 'node-legacy-0123456789', k: 2 },
        ],
      },
    ],
    tokens: [{ hash: hashToken('node-token'), site: 'node.test', created: '2026-11-23T00:00:00Z' }],
  })
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

  it('counts request bodies that clients abandon, and logs 50 of them in one line', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const server = await serveCollector({ store, registry, port: 0, rateLimit: false })
    try {
      const { port } = new URL(server.url)
      for (let i = 0; i < 50; i++) {
        // Headers and the start of a body, then the connection closed: half announce a length, half are chunked.
        const framing = i % 2 ? 'Content-Length: 1000\r\n\r\n{"v":1,' : 'Transfer-Encoding: chunked\r\n\r\n7\r\n{"v":1,\r\n'
        await new Promise<void>((left) => {
          const socket = connect(Number(port), '127.0.0.1', () =>
            socket.write(`POST /api/collect HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n${framing}`, () => {
              socket.destroy()
              left()
            }),
          )
        })
      }
      // The server notices each closed connection on its own time: wait until it has seen all 50.
      while (server.abandoned() < 50) await new Promise((tick) => setTimeout(tick, 20))
      expect(server.abandoned()).toBe(50)
      const lines = errors.mock.calls.map((args) => args.join(' '))
      expect(lines).toEqual(['quietcount: a client closed its connection before sending the whole request body; more are counted and logged at most once a minute'])
    } finally {
      errors.mockRestore()
      await server.close()
    }
  })

  it('says X-Content-Type-Options: nosniff on every answer of every route, errors and 404s included', async () => {
    const failing = { ...store, ping: async () => (failHealth ? Promise.reject(new Error('store away')) : store.ping()) }
    let failHealth = false
    let app: Hono | undefined
    const server = await serveCollector({
      store: failing,
      registry,
      port: 0,
      // Mounted as `quietcount serve --examples` mounts them (src/cli/commands/serve.ts).
      extend: (mounted) => {
        app = mounted
        mountDashboard(mounted, join(process.cwd(), 'dist'))
        mountExampleSite(mounted, process.cwd())
      },
    })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const auth = { authorization: 'Bearer node-token' }
    const text = { 'content-type': 'text/plain', 'user-agent': CHROME }
    // Each route with requests that reach its answers, good and bad.
    const requests: Record<string, [path: string, init?: RequestInit][]> = {
      'OPTIONS /api/collect': [['/api/collect', { method: 'OPTIONS', headers: { origin: 'https://node.test' } }]],
      'POST /api/collect': [
        ['/api/collect', { method: 'POST', body: beacon, headers: text }],
        ['/api/collect', { method: 'POST', body: '{}', headers: text }],
        ['/api/collect', { method: 'POST', body: beacon, headers: { 'content-type': 'text/html' } }],
        ['/api/collect', { method: 'POST', body: 'x'.repeat(40_000), headers: text }],
      ],
      'GET /api/stats': [['/api/stats?site=node.test', { headers: auth }], ['/api/stats?site=node.test'], ['/api/stats?site=node.test&period=never', { headers: auth }]],
      'GET /api/realtime': [['/api/realtime?site=node.test', { headers: auth }], ['/api/realtime']],
      'GET /api/sites': [['/api/sites', { headers: auth }], ['/api/sites']],
      'GET /api/share/:id': [['/api/share/node-link-0123456789'], ['/api/share/node-link-0123456789?period=today'], ['/api/share/node-legacy-0123456789'], ['/api/share/nothing']],
      'GET /healthz': [['/healthz']],
      'GET /': [['/']],
      'GET /share/:id': [['/share/node-link-0123456789']],
      'GET /dashboard/prefetch.js': [['/dashboard/prefetch.js']],
      'GET /dashboard/dashboard.js': [['/dashboard/dashboard.js']],
      'GET /dashboard/dashboard.css': [['/dashboard/dashboard.css']],
      'GET /*': [['/example'], ['/dist/quietcount.js'], ['/no/such/page']],
    }
    try {
      const routes = app!.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)
      expect(Object.keys(requests).sort()).toEqual([...new Set(routes)].sort())
      const answers: string[] = []
      const ask = async (path: string, init?: RequestInit) => {
        const response = await fetch(`${server.url}${path}`, init)
        await response.arrayBuffer()
        answers.push(`${init?.method ?? 'GET'} ${path} ${response.status} ${response.headers.get('x-content-type-options')}`)
      }
      for (const [path, init] of Object.values(requests).flat()) await ask(path, init)
      await ask('/nowhere', { method: 'POST' })
      failHealth = true
      await ask('/healthz')
      expect(new Set(answers.map((a) => a.split(' ')[2]))).toEqual(new Set(['200', '204', '400', '401', '404', '410', '413', '415', '500']))
      for (const answer of answers) expect(answer).toMatch(/ nosniff$/)
      expect(errors.mock.calls.map((args) => args.join(' '))).toEqual(['quietcount: GET /healthz failed: store away'])
    } finally {
      errors.mockRestore()
      await server.close()
    }
  })
})
