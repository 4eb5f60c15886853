// One-off: makes test/fixtures/store-v2.sqlite and test/fixtures/store-v2.expected.json with the
// code of schema version 2 (commit 469e2e9), so that the upgrade test compares the figures of
// today's code with those of the code after the upgrade. Run after `npm run build`:
//   node scripts/make-v2-fixture.mjs
// It imports dist/, so it only works on that commit; it is kept in git history, not in the tree.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { beaconRows } from '../dist/node/collector/ingest.js'
import { mergeRow } from '../dist/node/collector/rows.js'
import { parseStatsQuery, refuseUnderK, runStats } from '../dist/node/collector/stats.js'
import { sqliteStore } from '../dist/node/collector/stores/sqlite.js'

const FILE = 'test/fixtures/store-v2.sqlite'
const SITES = [
  { id: 'madrid.test', origins: [], timezone: 'Europe/Madrid', shares: [] },
  { id: 'newyork.test', origins: [], timezone: 'America/New_York', shares: [] },
  { id: 'kolkata.test', origins: [], timezone: 'Asia/Kolkata', shares: [] },
]

/** mulberry32 */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const next = random(2026)
const pick = (list) => list[Math.floor(next() * list.length)]
const zipf = (list) => list[Math.floor(list.length * next() ** 2.5)]

const PATHS = ['/', '/about', '/news', '/news/2026/spring', '/events', '/join', '/contact', '/es/', '/blog/a', '/blog/b', '/blog/c', '/list?page=2', "/o'hara", '/ünïcødé/中文', '/x"; DROP TABLE pages; --']
const REFERRERS = ['', '', '', 'google.com', 'duckduckgo.com', 'news.example', 'mastodon.social', 'github.com']
const ZONES = ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'America/Mexico_City', 'Europe/Paris', 'Asia/Tokyo', 'UTC']
const CLIENTS = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Chrome', browser_version: '130', os: 'Android', device: 'mobile' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
  { browser: 'Edge', browser_version: '131', os: 'Windows', device: 'desktop' },
]

const first = Date.UTC(2026, 1, 20) / 3_600_000
const last = Date.UTC(2026, 5, 1) / 3_600_000
const rows = new Map()
let beacons = 0
for (let hour = first; hour < last; hour++) {
  for (const site of SITES) {
    const n = next() < 0.5 ? 1 : 0
    for (let i = 0; i < n; i++) {
      const views = 1 + Math.floor(next() ** 2 * 3)
      const beacon = {
        v: 1,
        site: site.id,
        tz: pick(ZONES),
        lang: pick(['en', 'es', 'hi']),
        screen: pick(['mobile', 'tablet', 'laptop', 'desktop']),
        pages: Array.from({ length: views }, (_, j) => ({
          path: zipf(PATHS),
          ...(j == 0 && next() < 0.6 && { ref: zipf(REFERRERS) || undefined }),
          ...(j == 0 && next() < 0.15 && { source: 'newsletter', medium: 'email', campaign: pick(['spring', 'summer']) }),
          flags: j == 0 ? 1 | (next() < 0.7 ? 2 : 0) | (next() < 0.4 ? 4 : 0) : 0,
          views: next() < 0.1 ? 0 : 1,
          seconds: Math.floor(next() * 120),
          scroll: Math.floor(next() * 100),
        })),
        ...(next() < 0.25 && { events: [{ name: pick(['Signup', 'File Download', '404']), path: pick(PATHS), count: 1 + Math.floor(next() * 2), ...(next() < 0.5 && { props: { plan: pick(['pro', 'free']), ...(next() < 0.3 && { size: pick(['s', 'm']) }) } }) }] }),
        ...(next() < 0.15 && { consents: [{ decision: pick(['accept-all', 'reject-all', 'custom']), categories: { analytics: next() < 0.6, media: next() < 0.4 }, count: 1 }] }),
      }
      for (const row of beaconRows(beacon, pick(CLIENTS), hour, site.id == 'madrid.test' ? ['page'] : [])) mergeRow(rows, row)
      beacons++
    }
  }
}

mkdirSync('test/fixtures', { recursive: true })
rmSync(FILE, { force: true })
const store = sqliteStore(FILE)
await store.migrate()
const all = [...rows.values()]
for (let i = 0; i < all.length; i += 2000) await store.write(all.slice(i, i + 2000))

const RANGES = [
  'from=2026-02-20&to=2026-05-31',
  'from=2026-02-20&to=2026-05-31&interval=day',
  'from=2026-03-01&to=2026-03-31',
  'from=2026-04-10&to=2026-05-20',
]
const DAYS = { 'madrid.test': '2026-03-29', 'newyork.test': '2026-03-08', 'kolkata.test': '2026-04-01' }
const BREAKDOWNS = ['page', 'entry_page', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'os', 'device', 'event', 'consent']
const FILTERS = ['path:/news', 'referrer:google.com', 'source:newsletter', 'medium:email', 'campaign:spring', 'country:ES', 'language:es', 'screen:mobile', 'browser:Firefox', 'os:Windows', 'device:mobile', 'name:Signup']

const queries = []
for (const site of SITES) {
  const day = `from=${DAYS[site.id]}`
  for (const range of [...RANGES, day]) {
    queries.push([site.id, `${range}&compare=previous`])
    for (const breakdown of BREAKDOWNS) queries.push([site.id, `${range}&breakdown=${breakdown}&limit=10`])
  }
  for (const range of [RANGES[0], RANGES[3], day]) {
    for (const filter of FILTERS) {
      queries.push([site.id, `${range}&filter=${filter}&compare=previous`])
      for (const breakdown of ['page', 'referrer', 'country', 'browser', 'event']) queries.push([site.id, `${range}&filter=${filter}&breakdown=${breakdown}&limit=10`])
    }
    queries.push([site.id, `${range}&filter=country:ES&filter=device:mobile&breakdown=page&compare=previous`])
    queries.push([site.id, `${range}&filter=path:/&filter=browser:Chrome&filter=name:Signup&breakdown=event`])
  }
  for (const breakdown of ['page', 'referrer', 'country', 'event', 'consent']) queries.push([site.id, `${RANGES[0]}&breakdown=${breakdown}&k=5`])
  queries.push([site.id, `${RANGES[0]}&filter=referrer:google.com&breakdown=page&k=5`])
}

const expected = []
for (const [id, params] of queries) {
  const site = SITES.find((s) => s.id == id)
  const parsed = parseStatsQuery(new URLSearchParams(params), site)
  if (!parsed.ok) throw new Error(`${params}: ${parsed.error.message}`)
  const refused = await refuseUnderK(store, parsed.query)
  if (refused) throw new Error(`${params}: ${refused.message}`)
  const result = await runStats(store, parsed.query)
  // Breakdown answers carry the same time series as the plain ones; kept once, in those.
  if (result.breakdown) delete result.timeseries
  expected.push({ site: id, timezone: site.timezone, params, result })
}
await store.close()
{ const { default: Database } = await import('better-sqlite3'); const db = new Database(FILE); db.pragma('journal_mode = DELETE'); db.exec('VACUUM'); db.close() }
writeFileSync('test/fixtures/store-v2.expected.json', JSON.stringify({ madeBy: 'scripts/make-v2-fixture.mjs at commit 469e2e9 (schema version 2)', beacons, rows: all.length, sites: SITES, queries: expected }) + '\n')
console.log(`${beacons} beacons, ${all.length} rows, ${expected.length} queries`)
