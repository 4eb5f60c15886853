import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createCollector } from '../../src/collector/http/handler.js'
import { registryFile } from '../../src/collector/sites/registry.js'
import { hashToken } from '../../src/collector/sites/sites.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import type { Store } from '../../src/collector/stores/store.js'
import { LIMITS } from '../../src/shared/protocol.js'
import type { StatsError, StatsResult } from '../../src/shared/stats-types.js'

// The collector called in-process, as a web-standard handler: each test says what a request
// gets back and what it leaves in a real SQLite file.

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const TEST_IP = '203.0.113.77'
const dir = mkdtempSync(join(tmpdir(), 'quietcount-handler-'))
const registry = registryFile(join(dir, 'quietcount.json'))
let store: Store
let collector: ReturnType<typeof createCollector>
const logs: string[] = []

beforeAll(async () => {
  registry.write({
    sites: [
      {
        id: 'example.org',
        origins: ['https://example.org'],
        timezone: 'Europe/Madrid',
        params: ['page'],
        shares: [
          { id: 'public-link-0123456789', epsilon: 1, seed: 'A'.repeat(43), panels: ['page', 'country'], created: '2026-11-23T00:00:00Z' },
          { id: 'legacy-link-0123456789', k: 2 },
        ],
      },
      { id: 'other.org', origins: [], timezone: 'UTC', shares: [] },
      { id: 'shared.test', origins: [], timezone: 'UTC', shares: [] },
      { id: 'nodetail.test', origins: [], timezone: 'UTC', shares: [], detailDays: 0 },
    ],
    tokens: [
      { hash: hashToken('site-token'), site: 'example.org', created: '2026-11-23T00:00:00Z' },
      { hash: hashToken('other-token'), site: 'other.org', created: '2026-11-23T00:00:00Z' },
      { hash: hashToken('admin-token'), site: '*', created: '2026-11-23T00:00:00Z' },
    ],
  })
  store = sqliteStore(join(dir, 'counts.db'))
  await store.migrate()
  collector = createCollector({ store, registry, clientAddress: () => TEST_IP, rateLimit: { perSecond: 1000, burst: 100_000 } })
  for (const level of ['log', 'info', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation((...args) => void logs.push(args.join(' ')))
})
afterAll(async () => {
  vi.restoreAllMocks()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const valid = () => ({
  v: 1,
  site: 'example.org',
  tz: 'Europe/Madrid',
  lang: 'es',
  screen: 'mobile',
  pages: [{ path: '/pricing', ref: 'news.example', flags: 7, views: 1, seconds: 0, scroll: 0 }],
  events: [{ name: 'Signup', path: '/join', props: { plan: 'pro' }, count: 1 }],
})
const post = (body: unknown, headers: Record<string, string> = {}) =>
  collector.fetch(
    new Request('http://collector.test/api/collect', {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': FIREFOX, origin: 'https://example.org', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
const totals = async (site = 'example.org') => {
  const [hours] = (await store.query([{ site, parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]!
  return { views: Number(hours?.views ?? 0), seconds: Number(hours?.seconds ?? 0), events: Number(hours?.events ?? 0) }
}
const stats = (query: string, token?: string) =>
  collector.fetch(new Request(`http://collector.test/api/stats?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }))

describe('ingest', () => {
  it('counts a valid beacon, answers 204 with CORS for its origin, and only after the counts are stored', async () => {
    const before = await totals()
    const response = await post(valid())
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://example.org')
    // No flush: the acknowledgement itself means the group commit has committed.
    expect(await totals()).toEqual({ views: before.views + 1, seconds: before.seconds, events: before.events + 1 })
  })

  it('accepts application/json, and a beacon without Origin (a server-side pipeline)', async () => {
    expect((await post(valid(), { 'content-type': 'application/json' })).status).toBe(204)
    const request = new Request('http://collector.test/api/collect', { method: 'POST', headers: { 'user-agent': FIREFOX }, body: JSON.stringify(valid()) })
    expect((await collector.fetch(request)).status).toBe(204)
  })

  it('merges concurrent beacons into few transactions and loses none', async () => {
    const before = await totals()
    const write = vi.spyOn(store, 'write')
    const responses = await Promise.all(Array.from({ length: 60 }, () => post(valid())))
    expect(responses.every((r) => r.status === 204)).toBe(true)
    expect((await totals()).views).toBe(before.views + 60)
    expect(write.mock.calls.length).toBeLessThan(10)
    write.mockRestore()
  })

  it('answers 429 to a client over its rate, and counts nothing of it', async () => {
    const limited = createCollector({ store, registry, clientAddress: () => '198.51.100.9', rateLimit: { perSecond: 0.001, burst: 2 } })
    const send = () => limited.fetch(new Request('http://collector.test/api/collect', { method: 'POST', headers: { 'user-agent': FIREFOX }, body: JSON.stringify(valid()) }))
    const before = await totals()
    expect([(await send()).status, (await send()).status, (await send()).status]).toEqual([204, 204, 429])
    expect((await totals()).views).toBe(before.views + 2)
  })

  it('answers bots like anyone but counts nothing', async () => {
    const before = await totals()
    const googlebot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
    for (const agent of [googlebot, 'curl/8.5.0', 'python-requests/2.32', '']) expect((await post(valid(), { 'user-agent': agent })).status).toBe(204)
    expect(await totals()).toEqual(before)
  })

  const base = valid()
  const page = base.pages[0]!
  const event = base.events[0]!
  const cases: [string, unknown, number, string, Record<string, string>?][] = [
    ['not JSON', '{"v":1,', 400, 'body'],
    ['empty body', '', 400, 'body'],
    ['a JSON string', '"hello"', 400, ''],
    ['an array', '[1,2]', 400, ''],
    ['null', 'null', 400, ''],
    ['version 2', { ...base, v: 2 }, 400, 'v'],
    ['version as string', { ...base, v: '1' }, 400, 'v'],
    ['no site', { ...base, site: undefined }, 400, 'site'],
    ['site with capitals', { ...base, site: 'Example.org' }, 400, 'site'],
    ['site with a path', { ...base, site: 'example.org/x' }, 400, 'site'],
    ['an unknown site', { ...base, site: 'unknown.org' }, 403, 'site'],
    ['a field carrying a user id', { ...base, uid: 'u-123' }, 400, 'uid'],
    ['a field carrying the IP', { ...base, ip: '198.51.100.1' }, 400, 'ip'],
    ['a field carrying the user agent', { ...base, userAgent: FIREFOX }, 400, 'userAgent'],
    ['__proto__ as a field', '{"v":1,"site":"example.org","__proto__":{"x":1},"pages":[]}', 400, '__proto__'],
    ['a bad time zone', { ...base, tz: 'Mars/Olympus Mons' }, 400, 'tz'],
    ['a time zone that is code', { ...base, tz: "'; DROP TABLE pages; --" }, 400, 'tz'],
    ['a long language', { ...base, lang: 'english' }, 400, 'lang'],
    ['a screen resolution', { ...base, screen: '1920x1080' }, 400, 'screen'],
    ['no records', { ...base, pages: [], events: [] }, 400, 'body'],
    ['too many records', { ...base, pages: Array(LIMITS.records + 1).fill(page), events: [] }, 400, 'body'],
    ['pages not a list', { ...base, pages: page }, 400, 'pages'],
    ['pages nested 5,000 levels deep (10 KB)', `{"v":1,"site":"example.org","pages":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, 'pages[0]'],
    ['a site nested 3,000 levels deep', `{"v":1,"site":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`, 400, 'site'],
    ['a record that is a string', { ...base, pages: ['/'] }, 400, 'pages[0]'],
    ['a path without slash', { ...base, pages: [{ ...page, path: 'pricing' }] }, 400, 'pages[0].path'],
    ['an absolute URL as path', { ...base, pages: [{ ...page, path: 'https://evil.example/' }] }, 400, 'pages[0].path'],
    ['a path too long', { ...base, pages: [{ ...page, path: `/${'a'.repeat(LIMITS.path)}` }] }, 400, 'pages[0].path'],
    ['a path that is a number', { ...base, pages: [{ ...page, path: 42 }] }, 400, 'pages[0].path'],
    ['a query parameter with a bad name', { ...base, pages: [{ ...page, path: '/a?<script>=1' }] }, 400, 'pages[0].path'],
    ['negative views', { ...base, pages: [{ ...page, views: -1 }] }, 400, 'pages[0].views'],
    ['fractional views', { ...base, pages: [{ ...page, views: 1.5 }] }, 400, 'pages[0].views'],
    ['huge views', { ...base, pages: [{ ...page, views: 10 ** 9 }] }, 400, 'pages[0].views'],
    ['more page views than one page sends in a flush', { ...base, pages: [{ ...page, flags: 0, views: 15 }], events: [{ name: 'Signup', path: '/', count: 1 }] }, 400, 'body'],
    ['two page views starting a visit', { ...base, pages: [{ ...page, flags: 1, views: 2 }] }, 400, 'body'],
    ['views as string', { ...base, pages: [{ ...page, views: '1' }] }, 400, 'pages[0].views'],
    ['NaN-like views', '{"v":1,"site":"example.org","pages":[{"path":"/","flags":0,"views":1e400,"seconds":0,"scroll":0}]}', 400, 'pages[0].views'],
    ['flags 8', { ...base, pages: [{ ...page, flags: 8 }] }, 400, 'pages[0].flags'],
    ['seconds over a day', { ...base, pages: [{ ...page, seconds: 86_401 }] }, 400, 'pages[0].seconds'],
    ['scroll over its bound', { ...base, pages: [{ ...page, scroll: 201 }] }, 400, 'pages[0].scroll'],
    ['a record counting nothing', { ...base, pages: [{ ...page, views: 0, seconds: 0, scroll: 0 }] }, 400, 'pages[0]'],
    ['a referrer URL instead of a host', { ...base, pages: [{ ...page, ref: 'https://news.example/story?id=1' }] }, 400, 'pages[0].ref'],
    ['a referrer with spaces', { ...base, pages: [{ ...page, ref: 'news example' }] }, 400, 'pages[0].ref'],
    ['a campaign too long', { ...base, pages: [{ ...page, campaign: 'x'.repeat(65) }] }, 400, 'pages[0].campaign'],
    ['an empty source', { ...base, pages: [{ ...page, source: '' }] }, 400, 'pages[0].source'],
    ['an unknown page field', { ...base, pages: [{ ...page, visitor: 'a1b2' }] }, 400, 'pages[0].visitor'],
    ['an event without name', { ...base, events: [{ ...event, name: undefined }] }, 400, 'events[0].name'],
    ['an event name with HTML', { ...base, events: [{ ...event, name: '<img src=x>' }] }, 400, 'events[0].name'],
    ['an event name that is a phone number', { ...base, events: [{ ...event, name: 'Call 612345678' }] }, 400, 'events[0].name'],
    ['an event count of 0', { ...base, events: [{ ...event, count: 0 }] }, 400, 'events[0].count'],
    ['five props', { ...base, events: [{ ...event, props: { a: '1', b: '2', c: '3', d: '4', e: '5' } }] }, 400, 'events[0].props'],
    ['a prop key with capitals', { ...base, events: [{ ...event, props: { Plan: 'pro' } }] }, 400, 'events[0].props.Plan'],
    ['a prop named email', { ...base, events: [{ ...event, props: { email: 'x' } }] }, 400, 'events[0].props.email'],
    ['a prop value that is an e-mail', { ...base, events: [{ ...event, props: { contact: 'jane@example.org' } }] }, 400, 'events[0].props.contact'],
    ['a prop value that is a number', { ...base, events: [{ ...event, props: { plan: 5 } }] }, 400, 'events[0].props.plan'],
    ['props as a list', { ...base, events: [{ ...event, props: ['pro'] }] }, 400, 'events[0].props'],
    ['a consent record with a person', { ...base, consents: [{ decision: 'custom', categories: {}, count: 1, person: 'x' }] }, 400, 'consents[0].person'],
    ['XML content type', valid(), 415, 'content-type', { 'content-type': 'application/xml' }],
    ['form content type', valid(), 415, 'content-type', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['no content type', valid(), 415, 'content-type', { 'content-type': '' }],
    ['a body over the byte limit', { ...base, pad: 'x'.repeat(LIMITS.beaconBytes) }, 413, 'body'],
    ['a declared length over the limit', valid(), 413, 'body', { 'content-length': String(LIMITS.beaconBytes + 1) }],
    ['an origin the site does not allow', valid(), 403, 'origin', { origin: 'https://evil.example' }],
  ]

  it(`refuses ${cases.length} malformed or hostile requests, each with its status and the field at fault, and stores nothing`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(50)
    const before = { example: await totals(), other: await totals('other.org') }
    for (const [name, body, status, field, headers] of cases) {
      const response = await post(body, headers)
      expect(response.status, name).toBe(status)
      const error = (await response.json()) as { field: string; rule: string; message: string }
      expect(error.field, name).toBe(field)
      expect(error.message.length, name).toBeGreaterThan(10)
    }
    expect({ example: await totals(), other: await totals('other.org') }).toEqual(before)
  })

  it('reads a chunked body (no Content-Length) only up to the byte limit', async () => {
    let sent = 0
    const chunked = (text: string, chunkBytes: number) => {
      const bytes = new TextEncoder().encode(text)
      sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes.length) return controller.close()
          controller.enqueue(bytes.slice(sent, (sent += chunkBytes)))
        },
      })
      return collector.fetch(
        new Request('http://collector.test/api/collect', { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'text/plain', 'user-agent': FIREFOX } } as RequestInit),
      )
    }
    const before = await totals()
    const huge = await chunked(JSON.stringify({ ...valid(), pad: 'x'.repeat(10 * LIMITS.beaconBytes) }), 4096)
    expect(huge.status).toBe(413)
    // It stopped reading soon after the limit instead of buffering all ten times of it.
    expect(sent).toBeLessThan(2 * LIMITS.beaconBytes)
    expect(await huge.json()).toMatchObject({ field: 'body' })
    expect(await totals()).toEqual(before)
    expect((await chunked(JSON.stringify(valid()), 7)).status).toBe(204)
    expect((await totals()).views).toBe(before.views + 1)
  })

  it('never crashes and never changes counts on random bodies (property)', async () => {
    const mutated = fc.record({
      v: fc.oneof(fc.constant(1), fc.anything()),
      site: fc.oneof(fc.constant('example.org'), fc.string()),
      pages: fc.oneof(
        fc.constant(undefined),
        fc.array(
          fc.record({
            path: fc.oneof(fc.constant('/'), fc.string()),
            flags: fc.integer({ min: -2, max: 9 }),
            views: fc.oneof(fc.integer({ min: -1, max: 2000 }), fc.double()),
            seconds: fc.integer({ min: -1, max: 90_000 }),
            scroll: fc.nat(300),
          }),
          { maxLength: 20 },
        ),
      ),
      events: fc.oneof(
        fc.constant(undefined),
        fc.array(fc.record({ name: fc.string(), path: fc.string(), count: fc.integer(), props: fc.dictionary(fc.string(), fc.anything()) }), { maxLength: 5 }),
      ),
    })
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      mutated.map((b) => JSON.stringify(b)),
    )
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const before = await totals()
        const response = await post(text)
        expect(response.status).toBeLessThan(500)
        if (response.status !== 204) expect(await totals()).toEqual(before)
        else expect((await totals()).views).toBeGreaterThanOrEqual(before.views)
      }),
      { numRuns: 300, seed: 20261123 },
    )
  })
})

describe('privacy', () => {
  afterEach(() => void 0)
  it('stores and logs no IP address, user agent, query string or e-mail address', async () => {
    const probe = { ...valid(), pages: [{ path: '/signup/jane.doe@example.org?email=jane.doe%40example.org&session=k3y9x&page=2', flags: 7, views: 1, seconds: 3, scroll: 10 }] }
    expect((await post(probe)).status).toBe(204)
    await collector.flush()
    const stored = readdirSync(dir)
      .filter((f) => f.startsWith('counts.db'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n')
    expect(stored).toContain('/signup/[email]?page=2')
    for (const secret of [TEST_IP, '203.0.113', FIREFOX, 'Gecko/20100101', 'jane.doe', 'example.org?', 'email=', 'session=', 'k3y9x']) {
      expect(stored.includes(secret), `stored data contains ${secret}`).toBe(false)
      expect(logs.join('\n').includes(secret), `logs contain ${secret}`).toBe(false)
    }
  })
})

describe('access', () => {
  it('reads stats with the site token or the admin token', async () => {
    for (const token of ['site-token', 'admin-token']) {
      const response = await stats('site=example.org&period=today', token)
      expect(response.status).toBe(200)
      expect(((await response.json()) as { metrics: { pageviews: number } }).metrics.pageviews).toBeGreaterThan(0)
    }
  })

  it.each([
    ['no token', undefined, 401, 'authorization'],
    ['a wrong token', 'guess', 401, 'authorization'],
    ["another site's token", 'other-token', 403, 'authorization'],
  ])('refuses %s', async (_, token, status, field) => {
    const response = await stats('site=example.org', token)
    expect(response.status).toBe(status)
    expect(((await response.json()) as { field: string }).field).toBe(field)
  })

  it.each([
    ['period=fortnight', 'period'],
    ['from=2026-02-30', 'from'],
    ['from=2026-03-10&to=2026-03-01', 'to'],
    ['breakdown=email', 'breakdown'],
    ['filter=ip:1.2.3.4', 'filter'],
    ['limit=0', 'limit'],
    ['interval=minute', 'interval'],
    ['sort=desc', 'sort'],
  ])('answers a bad query %s with 400 naming %s', async (query, field) => {
    const response = await stats(`site=example.org&${query}`, 'admin-token')
    expect(response.status).toBe(400)
    expect(((await response.json()) as { field: string }).field).toBe(field)
  })

  it('serves a share link without token: complete days, noisy figures, its own panels; 404 for no link, 410 for a k-anonymity link', async () => {
    const share = (link: string, query: string) => collector.fetch(new Request(`http://collector.test/api/share/${link}?${query}`))
    const shared = await share('public-link-0123456789', 'period=7d&breakdown=page,referrer')
    expect(shared.status).toBe(200)
    const body = (await shared.json()) as StatsResult
    expect(body.public).toMatchObject({ epsilon: 1, delta: 1e-7, panels: ['page', 'country'] })
    expect(body.metrics).not.toHaveProperty('avg_engagement_seconds')
    expect(body.breakdowns!.referrer).toEqual({ rows: [], unavailable: 'Referrers are not part of this shared view.' })
    expect(body.breakdowns!.page!.rows.every((r) => r.value !== '(other)' && r.avg_engagement_seconds === undefined)).toBe(true)
    const today = await share('public-link-0123456789', 'period=today')
    expect(today.status).toBe(400)
    expect(((await today.json()) as StatsError).message).toContain('complete days')
    // Asked again, the answer comes from memory: the store is not read.
    const read = vi.spyOn(store, 'query')
    expect(await (await share('public-link-0123456789', 'period=7d&breakdown=page,referrer')).json()).toEqual(body)
    expect(read).not.toHaveBeenCalled()
    await share('public-link-0123456789', 'period=30d')
    expect(read).toHaveBeenCalled()
    read.mockRestore()
    expect((await share('nope', '')).status).toBe(404)
    const legacy = await share('legacy-link-0123456789', 'period=7d')
    expect(legacy.status).toBe(410)
    expect(((await legacy.json()) as StatsError).message).toContain('quietcount migrate')
  })

  // Row-by-row k-anonymity stays an option of the owner's API (k=…), which differencing breaks
  // (test/collector/share-differencing.test.ts); share links use differential privacy instead.
  describe('k-anonymity for a token holder who asks for k', () => {
    const share = async (query: string) => {
      const response = await stats(`site=shared.test&k=3&${query}`, 'admin-token')
      return { status: response.status, body: (await response.json()) as StatsResult & Partial<StatsError> }
    }
    beforeAll(async () => {
      // Four people enter on /popular (one of them from news.example), one on /rare; the last also views /popular twice.
      const page = (path: string, extra: object = {}) => ({
        v: 1,
        site: 'shared.test',
        tz: 'Europe/Oslo',
        lang: 'nb',
        screen: 'desktop',
        pages: [{ path, flags: 7, views: 1, seconds: 5, scroll: 50, ...extra }],
      })
      for (let i = 0; i < 3; i++) expect((await post(page('/popular'), { origin: '' })).status).toBe(204)
      expect((await post(page('/popular', { ref: 'news.example' }), { origin: '' })).status).toBe(204)
      expect((await post({ ...page('/rare'), pages: [...page('/rare').pages, { path: '/popular', flags: 0, views: 2, seconds: 9, scroll: 10 }] }, { origin: '' })).status).toBe(204)
    })

    it('folds rows below k into "(other)", weighing pages by views and referrers by visits', async () => {
      const pages = await share('period=today&breakdown=page')
      expect(pages.body.breakdowns!.page!.rows).toEqual([
        { value: '/popular', visitors: 4, visits: 4, pageviews: 6, avg_engagement_seconds: 4.8 },
        { value: '(other)', visitors: 1, visits: 1, pageviews: 1 },
      ])
      const referrers = await share('period=today&breakdown=referrer')
      expect(referrers.body.breakdowns!.referrer!.rows.map((r: { value: string }) => r.value)).toEqual(['', '(other)'])
    })

    it('keeps "(other)" when the limit cuts the rows', async () => {
      const pages = await share('period=today&breakdown=page&limit=1')
      expect(pages.body.breakdowns!.page!.rows.map((r: { value: string }) => r.value)).toEqual(['/popular', '(other)'])
    })

    it('lets a visible row filter, and refuses a folded one that totals would reveal', async () => {
      expect((await share('period=today&filter=path:/popular&compare=previous')).status).toBe(200)
      const folded = await share('period=today&filter=path:/rare')
      expect(folded.status).toBe(403)
      expect(folded.body).toMatchObject({ field: 'filter', rule: 'k-anonymity' })
      expect(folded.body.message).toContain('/rare')
      expect((await share('period=today&filter=referrer:news.example&interval=hour')).status).toBe(403)
      // A value with no counts at all shows zeros, which single out nobody.
      const absent = await share('period=today&filter=path:/never')
      expect(absent.status).toBe(200)
      expect(absent.body.metrics!.pageviews).toBe(0)
    })

    it('refuses two filters, whose intersection no row shows', async () => {
      const both = await share('period=today&filter=path:/popular&filter=screen:desktop')
      expect(both.status).toBe(400)
      expect(both.body).toMatchObject({ field: 'filter' })
      expect(both.body.message).toContain('at most one filter')
    })

    it('leaves the figures exact without k', async () => {
      expect((await stats('site=shared.test&period=today&filter=path:/rare', 'admin-token')).status).toBe(200)
    })
  })

  it('lists the sites a token may read, for the dashboard', async () => {
    const sites = async (token?: string) => {
      const response = await collector.fetch(new Request('http://collector.test/api/sites', { headers: token ? { authorization: `Bearer ${token}` } : {} }))
      return { status: response.status, body: (await response.json()) as { sites?: { id: string }[] } }
    }
    expect((await sites('site-token')).body.sites!.map((s) => s.id)).toEqual(['example.org'])
    expect((await sites('admin-token')).body.sites!.map((s) => s.id)).toEqual(['example.org', 'other.org', 'shared.test', 'nodetail.test'])
    expect((await sites()).status).toBe(401)
    expect((await sites('guess')).status).toBe(401)
  })

  it('counts page views and visits of the last five minutes in memory, behind the same tokens as stats', async () => {
    const recent = async (token = 'site-token', site = 'example.org') => {
      const response = await collector.fetch(new Request(`http://collector.test/api/realtime?site=${site}`, { headers: { authorization: `Bearer ${token}` } }))
      return { status: response.status, body: (await response.json()) as { pageviews: number; visits: number } }
    }
    const before = (await recent()).body
    const views = [
      { path: '/now', flags: 1, views: 1, seconds: 0, scroll: 0 },
      { path: '/now', flags: 0, views: 2, seconds: 0, scroll: 0 },
    ]
    expect((await post({ ...valid(), pages: views })).status).toBe(204)
    expect((await recent()).body).toMatchObject({ pageviews: before.pageviews + 3, visits: before.visits + 1, minutes: 5 })
    expect((await recent('other-token')).status).toBe(403)
    expect((await recent('site-token', 'nowhere.test')).status).toBe(403)
  })

  it('accepts the bearer scheme in any case, and ignores a token entry that is not a hash', async () => {
    expect((await collector.fetch(new Request('http://collector.test/api/stats?site=example.org&period=today', { headers: { authorization: 'bearer site-token' } }))).status).toBe(
      200,
    )
    const good = registry.read()
    registry.write({ ...good, tokens: [{ hash: 'not-a-hash', site: '*', created: '2026-11-23T00:00:00Z' }, ...good.tokens] })
    try {
      expect((await stats('site=example.org&period=today', 'guess')).status).toBe(401)
      expect((await stats('site=example.org&period=today', 'site-token')).status).toBe(200)
    } finally {
      registry.write(good)
    }
  })

  it('keeps serving with the last good registry when the file is broken by hand, and logs it', async () => {
    const good = registry.read()
    const logged = logs.length
    // A later mtime than the last write, for a reader that cannot watch the directory.
    await new Promise((resolve) => setTimeout(resolve, 20))
    writeFileSync(registry.file, '{"sites": [')
    try {
      // The server learns of the edit from its watch, a moment after the write.
      await vi.waitFor(async () => {
        expect((await stats('site=example.org&period=today', 'site-token')).status).toBe(200)
        expect(logs.slice(logged).join('\n')).toContain('is not valid JSON')
      })
      expect(() => registryFile(registry.file).read()).toThrow(/is not valid JSON/)
    } finally {
      registry.write(good)
    }
  })

  it('answers an internal failure with a JSON error and logs no request detail', async () => {
    const failing = createCollector({ store: { ...store, ping: async () => Promise.reject(new Error('disk gone')) }, registry })
    const response = await failing.fetch(new Request('http://collector.test/healthz'))
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ field: 'server', rule: 'internal error' })
    expect(logs.at(-1)).toContain('disk gone')
  })

  it('answers 503 with Retry-After when the store does not take a commit, logs the failure once, and counts nothing', async () => {
    let down = true
    const flaky = createCollector({
      store: { ...store, write: async (rows) => (down ? Promise.reject(new Error('connection refused')) : store.write(rows)) },
      registry,
      rateLimit: false,
      expireEveryMs: 0,
    })
    const before = await totals()
    const logged = logs.length
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        flaky.fetch(
          new Request('http://collector.test/api/collect', { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': FIREFOX }, body: JSON.stringify(valid()) }),
        ),
      ),
    )
    expect(answers.map((r) => r.status)).toEqual([503, 503, 503, 503, 503])
    expect(answers[0]!.headers.get('retry-after')).toBe('5')
    expect(await answers[0]!.json()).toMatchObject({ field: 'store', message: expect.stringContaining('nothing was acknowledged') })
    expect(logs.slice(logged).filter((line) => line.includes('connection refused'))).toHaveLength(1)
    expect(await totals()).toEqual(before)
    down = false
    const again = await flaky.fetch(
      new Request('http://collector.test/api/collect', { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': FIREFOX }, body: JSON.stringify(valid()) }),
    )
    expect(again.status).toBe(204)
    expect((await totals()).views).toBe(before.views + 1)
    await flaky.close()
  })

  it('answers a preflight for a site that accepts any origin', async () => {
    const isolated = registryFile(join(dir, 'any-origin.json'))
    isolated.write({ sites: [{ id: 'any.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] })
    const open = createCollector({ store, registry: isolated })
    const preflight = await open.fetch(
      new Request('http://collector.test/api/collect', { method: 'OPTIONS', headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST' } }),
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://anywhere.example')
  })

  it("answers CORS preflights only for a site's declared origins", async () => {
    // Only sites that declare origins here: one that accepts any origin would let every preflight through.
    const declared = registryFile(join(dir, 'declared-origins.json'))
    declared.write({ sites: [registry.read().sites[0]!], tokens: [] })
    const strict = createCollector({ store, registry: declared })
    const preflight = (origin: string) =>
      strict.fetch(new Request('http://collector.test/api/collect', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }))
    const allowed = await preflight('https://example.org')
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://example.org')
    const refused = await preflight('https://evil.example')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('reports health', async () => {
    expect(await (await collector.fetch(new Request('http://collector.test/healthz'))).json()).toEqual({ ok: true })
  })
})

describe('two tiers through the handler', () => {
  const HOUR = 3_600_000
  const detailRows = async (site: string, from = 0) => Number((await store.query([{ site, parts: [{ table: 'detail_pages', from, to: 10 ** 7 }] }]))[0]![0]!.views)
  const json = async (query: string) => (await (await stats(query, 'admin-token')).json()) as StatsResult & Partial<StatsError>

  it('answers one request with exactly the parts it names', async () => {
    const body = await json('site=example.org&period=today&include=none&breakdown=page,referrer,browser_version')
    expect(Object.keys(body.breakdowns!)).toEqual(['page', 'referrer', 'browser_version'])
    expect(body.metrics).toBeUndefined()
    expect(body.timeseries).toBeUndefined()
    expect(body.breakdowns!.browser_version!.rows[0]).toMatchObject({ value: '133', parent: 'Firefox' })
    expect(body.detail).toEqual({ days: 62, from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) })
  })

  it('writes no detail for a site that keeps none, and says where its answers need it', async () => {
    expect((await post({ ...valid(), site: 'nodetail.test' }, { origin: '' })).status).toBe(204)
    await collector.flush()
    expect(await totals('nodetail.test')).toMatchObject({ views: 1, events: 1 })
    expect(await detailRows('nodetail.test')).toBe(0)
    const one = await json('site=nodetail.test&period=today&filter=path:/pricing&breakdown=page,referrer')
    expect(one.metrics!.pageviews).toBe(1)
    expect(one.breakdowns!.page!.rows).toMatchObject([{ value: '/pricing', pageviews: 1 }])
    expect(one.breakdowns!.referrer).toEqual({ rows: [], unavailable: expect.stringContaining('which this site does not keep (its detail window is 0 days)') })
    const two = await json('site=nodetail.test&period=today&filter=path:/pricing&filter=country:ES')
    expect(two.metrics).toBeUndefined()
    expect(two.unavailable!.metrics).toMatch(/^The totals under the filters path:\/pricing and country:ES need the detail tier/)
  })

  it("expires detail older than each site's window, keeping the marginals, and the detail of the window", async () => {
    const old = Math.floor(Date.now() / HOUR) - 24 * 100
    const row = (time: number) => ({ table: 'detail_pages' as const, site: 'example.org', time, dims: { path: '/expired' }, counts: { views: 1 } })
    await store.write([
      row(old),
      row(old + 1),
      { table: 'daily', site: 'example.org', time: Math.floor(old / 24), dims: { dimension: 'path', parent: '', value: '/expired' }, counts: { views: 2 } },
    ])
    const before = await detailRows('example.org')
    await collector.expire()
    expect(await detailRows('example.org')).toBe(before - 2)
    expect(await detailRows('example.org', old + 24 * 40)).toBe(before - 2)
    expect(await store.detailCutoff('example.org')).toBeGreaterThan(old + 24 * 30)
    const [kept] = (
      await store.query([{ site: 'example.org', parts: [{ table: 'daily', from: 0, to: 10 ** 6 }], filters: { dimension: 'path', parent: '', value: '/expired' } }])
    )[0]!
    expect(kept!.views).toBe(2)
  })
})
