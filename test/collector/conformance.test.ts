import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Client } from '../../src/collector/enrich.js'
import { groupCommit } from '../../src/collector/group-commit.js'
import { beaconRows } from '../../src/collector/ingest.js'
import { type Row, TABLES } from '../../src/collector/rows.js'
import type { Site } from '../../src/collector/sites.js'
import { BREAKDOWNS, parseStatsQuery, runStats } from '../../src/collector/stats.js'
import type { AggregateRow, Store } from '../../src/collector/stores/store.js'
import type { Beacon } from '../../src/shared/protocol.js'
import { storesUnderTest } from './stores.js'

// One conformance suite for every store: the same beacons, ingested through the real path
// (beaconRows + group commit), must give the same stats, to the unit, as a reference store that
// sums rows in plain JavaScript, for every metric, breakdown, filter, interval and time zone.

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}
const pick = <T>(next: () => number, list: readonly T[]) => list[Math.floor(next() * list.length)]!

const CLIENTS: Client[] = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
]

/** A week of traffic across the DST change in Europe (2026-03-29), in hours since the epoch. */
function fixture(): { hour: number; beacon: Beacon; client: Client }[] {
  const next = random(42)
  const start = Date.UTC(2026, 2, 26) / 3_600_000
  const entries = []
  for (let i = 0; i < 400; i++) {
    const hour = start + Math.floor(next() * 24 * 8)
    const beacon: Beacon = {
      v: 1,
      site: pick(next, ['conf.test', 'conf.test', 'conf.test', 'other.test']),
      tz: pick(next, ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'UTC']),
      lang: pick(next, ['en', 'es']),
      screen: pick(next, ['mobile', 'desktop'] as const),
      pages: Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const views = Math.floor(next() * 3)
        return {
          path: pick(next, ['/', '/pricing', '/blog/hello', '/join']),
          ...(next() < 0.4 && { ref: pick(next, ['news.example', 'duckduckgo.com']) }),
          ...(next() < 0.2 && { source: 'newsletter', medium: 'email', campaign: 'spring' }),
          flags: Math.floor(next() * 8),
          views,
          seconds: views ? Math.floor(next() * 100) : 1 + Math.floor(next() * 50),
          scroll: Math.floor(next() * 100),
        }
      }),
      ...(next() < 0.3 && { events: [{ name: pick(next, ['Signup', 'Download']), path: '/join', count: 1 + Math.floor(next() * 2), ...(next() < 0.5 && { props: { plan: pick(next, ['pro', 'free']) } }) }] }),
      ...(next() < 0.2 && { consents: [{ decision: pick(next, ['accept-all', 'reject-all', 'custom'] as const), categories: { analytics: next() < 0.5, media: next() < 0.5 }, count: 1 }] }),
    }
    entries.push({ hour, beacon, client: pick(next, CLIENTS) })
  }
  return entries
}

/** The reference: rows kept in an array, summed with plain loops. Obviously right, and slow. */
function referenceStore(rows: Row[]): Store {
  return {
    migrate: async () => {},
    write: async () => {},
    close: async () => {},
    async query(q) {
      const groups = new Map<string, AggregateRow>()
      for (const row of rows) {
        if (row.table != q.table || row.site != q.site || row.hour < q.from || row.hour >= q.to) continue
        if (Object.entries(q.filters ?? {}).some(([d, v]) => v !== undefined && row.dims[d] != v)) continue
        const key = (q.groupBy ?? []).map((g) => (g == 'hour' ? row.hour : row.dims[g])).join('\u0000')
        const group = groups.get(key) ?? Object.fromEntries((q.groupBy ?? []).map((g) => [g, g == 'hour' ? row.hour : row.dims[g]!]))
        for (const c of TABLES[q.table].counters) group[c] = Number(group[c] ?? 0) + (row.counts[c] ?? 0)
        groups.set(key, group)
      }
      return [...groups.values()]
    },
  }
}

const queries: [string, string][] = []
for (const timezone of ['UTC', 'Europe/Madrid', 'America/New_York', 'Asia/Kolkata']) {
  for (const range of ['from=2026-03-29', 'from=2026-03-26&to=2026-04-02', 'from=2026-03-28&to=2026-03-30&interval=hour', 'from=2026-03-01&to=2026-04-30&interval=month']) {
    queries.push([timezone, range])
    queries.push([timezone, range + '&compare=previous'])
  }
}
for (const breakdown of Object.keys(BREAKDOWNS)) {
  queries.push(['Europe/Madrid', `from=2026-03-26&to=2026-04-02&breakdown=${breakdown}`])
  queries.push(['Europe/Madrid', `from=2026-03-26&to=2026-04-02&breakdown=${breakdown}&k=3`])
}
for (const filter of ['country:ES', 'path:/pricing', 'browser:Firefox', 'referrer:news.example', 'name:Signup', 'device:mobile', 'source:newsletter', 'language:es']) {
  queries.push(['Asia/Kolkata', `from=2026-03-26&to=2026-04-02&filter=${filter}&breakdown=page`])
  queries.push(['Asia/Kolkata', `from=2026-03-26&to=2026-04-02&filter=${filter}&filter=screen:desktop&breakdown=event`])
}

for (const underTest of storesUnderTest()) {
  const suite = underTest.missing ? describe.skip : describe
  suite(`store conformance: ${underTest.name}${underTest.missing ? ` (skipped: ${underTest.missing})` : ''}`, () => {
    const entries = fixture()
    const rows = entries.flatMap(({ beacon, client, hour }) => beaconRows(beacon, client, hour))
    const reference = referenceStore(rows)
    let store: Store

    beforeAll(async () => {
      store = await underTest.open()
      const commits = groupCommit(store, { maxWaitMs: 5 })
      // Concurrent, in pieces, as beacons arrive: merging must not change any sum.
      await Promise.all(entries.map(({ beacon, client, hour }) => commits.add(beaconRows(beacon, client, hour))))
    })
    afterAll(async () => store?.close())

    it('holds the fixture totals, checked by hand-counted sums', async () => {
      const all = await store.query({ table: 'pages', site: 'conf.test', from: 0, to: 10 ** 7 })
      const expected = entries.filter((e) => e.beacon.site == 'conf.test').flatMap((e) => e.beacon.pages!)
      expect(Number(all[0]!.views)).toBe(expected.reduce((s, p) => s + p.views, 0))
      expect(Number(all[0]!.visits)).toBe(expected.reduce((s, p) => s + (p.flags & 1 ? p.views : 0), 0))
      expect(Number(all[0]!.seconds)).toBe(expected.reduce((s, p) => s + p.seconds, 0))
      expect(Number(all[0]!.views)).toBeGreaterThan(300)
    })

    it('keeps sites apart and answers an empty range with zeros', async () => {
      const [none] = await store.query({ table: 'pages', site: 'nobody.test', from: 0, to: 10 ** 7 })
      expect(Number(none?.views ?? 0)).toBe(0)
      const stats = await runStats(store, parse('UTC', 'from=2020-01-01'))
      expect(stats.metrics).toEqual({ visitors: 0, monthly_visitors: 0, visits: 0, pageviews: 0, views_per_visit: 0, avg_engagement_seconds: 0, avg_scroll: 0, events: 0 })
    })

    it.each(queries)('gives the reference stats in %s for %s', async (timezone, params) => {
      const query = parse(timezone, params)
      expect(await runStats(store, query)).toEqual(await runStats(reference, query))
    })
  })
}

function parse(timezone: string, params: string) {
  const site: Site = { id: 'conf.test', origins: [], timezone, shares: [] }
  const parsed = parseStatsQuery(new URLSearchParams(params), site)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.query
}
