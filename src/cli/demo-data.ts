import type { Client } from '../collector/ingest/enrich.js'
import { beaconRows } from '../collector/ingest/ingest.js'
import { expireDetail, expireMarginals } from '../collector/retention.js'
import { mergeRow, type Row } from '../collector/schema.js'
import type { RegistryFile } from '../collector/sites/registry.js'
import { DEFAULT_DETAIL_DAYS, type Site } from '../collector/sites/sites.js'
import type { Store } from '../collector/stores/store.js'
import type { Beacon, PageRecord } from '../shared/protocol.js'
import { progressBar } from './progress.js'

/**
 * A year of believable traffic for a few demo sites, made of beacons like the tracker's and
 * ingested through the collector's own path (beaconRows into both tiers, merged per day; the
 * caller then expires the detail older than the window, as a collector would), so the dashboard shows
 * what a real site would: daily and weekly rhythm, growth, referrers, campaigns, events and
 * consent decisions. Seeded, so the same seed gives the same counts.
 */

export const DEMO_SITES: (Site & { visitsPerDay: number; pages: string[]; zones: string[] })[] = [
  {
    id: 'demo-civic.test',
    origins: [],
    timezone: 'Europe/Madrid',
    shares: [],
    visitsPerDay: 220,
    pages: ['/', '/about', '/news', '/news/annual-report-2026', '/events', '/volunteer', '/join', '/contact', '/privacy', '/es/', '/es/noticias'],
    zones: ['Europe/Madrid', 'Europe/Madrid', 'Europe/Madrid', 'Atlantic/Canary', 'America/Mexico_City', 'Europe/Paris', 'America/Bogota'],
  },
  {
    id: 'demo-blog.test',
    origins: [],
    timezone: 'America/New_York',
    shares: [],
    visitsPerDay: 90,
    pages: ['/', '/posts/quiet-analytics', '/posts/cookie-banners', '/posts/sqlite-at-scale', '/tags/privacy', '/about', '/feed.xml'],
    zones: ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney'],
  },
]

const REFERRERS = ['', '', '', 'google.com', 'google.com', 'duckduckgo.com', 'bing.com', 'news.ycombinator.com', 'mastodon.social', 'github.com']
const CLIENTS: Client[] = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Chrome', browser_version: '131', os: 'Android', device: 'mobile' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
  { browser: 'Safari', browser_version: '18', os: 'Mac OS', device: 'desktop' },
  { browser: 'Edge', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Samsung Browser', browser_version: '27', os: 'Android', device: 'mobile' },
]
const SCREENS = { desktop: ['desktop', 'laptop'], mobile: ['mobile', 'mobile', 'tablet'] } as const

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface DemoOptions {
  seed?: number
  days?: number
  /** The last hour seeded is the one before this instant. */
  now?: number
  /** Called after each day with the share done, 0–1. */
  progress?: (done: number) => void
}

/** Writes the demo sites' traffic into `store`; returns the page views written. */
export async function seedDemo(store: Store, { seed = 1, days = 365, now = Date.now(), progress }: DemoOptions = {}): Promise<number> {
  const next = random(seed)
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
  // Weighted towards the first items, as real page lists are.
  const popular = <T>(list: readonly T[]) => list[Math.floor(list.length * next() ** 2.2)]!
  const lastHour = Math.floor(now / 3_600_000)
  const firstHour = lastHour - days * 24
  let pageviews = 0
  for (let day = 0; day < days; day++) {
    const rows = new Map<string, Row>()
    for (let hour = firstHour + day * 24; hour < firstHour + (day + 1) * 24; hour++) {
      const date = new Date(hour * 3_600_000)
      const growth = 0.6 + (0.4 * (hour - firstHour)) / (lastHour - firstHour)
      const weekday = date.getUTCDay() % 6 === 0 ? 0.65 : 1
      for (const site of DEMO_SITES) {
        // Traffic follows the site's daytime: low at night, highest mid-afternoon.
        const local = (date.getUTCHours() + (site.timezone.startsWith('America') ? -5 : 1) + 24) % 24
        const daytime = 0.25 + Math.max(0, Math.sin(((local - 6) / 18) * Math.PI))
        const expected = (site.visitsPerDay / 24) * growth * weekday * daytime * 1.35
        const visits = Math.floor(expected + next() * 2 * Math.sqrt(expected + 1))
        for (let v = 0; v < visits; v++) {
          const client = pick(CLIENTS)
          const ref = popular(REFERRERS)
          const campaign = next() < 0.06 ? { source: 'newsletter', medium: 'email', campaign: pick(['spring', 'autumn', 'year-end']) } : {}
          const views = 1 + Math.floor(next() ** 2 * 5)
          const pages: PageRecord[] = []
          for (let i = 0; i < views; i++) {
            const entry = i === 0
            pages.push({
              path: popular(site.pages),
              ...(entry && ref && { ref }),
              ...(entry && campaign),
              flags: entry ? 1 | (next() < 0.8 ? 2 : 0) | (next() < 0.45 ? 4 : 0) : 0,
              views: 1,
              seconds: Math.floor(next() * 90),
              scroll: Math.floor(20 + next() * 80),
            })
          }
          const beacon: Beacon = {
            v: 1,
            site: site.id,
            tz: pick(site.zones),
            lang: site.id.startsWith('demo-civic') && next() < 0.6 ? 'es' : 'en',
            screen: pick(SCREENS[client.device === 'desktop' ? 'desktop' : 'mobile']),
            pages,
            ...(next() < 0.05 && { events: [{ name: pick(['Signup', 'File Download', 'Outbound Link']), path: pages[0]!.path, count: 1 }] }),
            ...(next() < 0.3 && {
              consents: [{ decision: pick(['accept-all', 'accept-all', 'reject-all', 'custom'] as const), categories: { analytics: next() < 0.6 }, count: 1 }],
            }),
          }
          for (const row of beaconRows(beacon, client, hour, { timezone: site.timezone, detailDays: DEFAULT_DETAIL_DAYS })) mergeRow(rows, row)
          pageviews += views
        }
      }
    }
    await store.write([...rows.values()])
    progress?.((day + 1) / days)
  }
  return pageviews
}

/** Whether the store holds counts of the first demo site already (seeding again would add to them). */
export async function hasDemoData(store: Store): Promise<boolean> {
  const [[totals]] = (await store.query([{ site: DEMO_SITES[0]!.id, parts: [{ table: 'totals', from: 0, to: 2 ** 31 }] }])) as [Record<string, number>[]]
  return Number(totals?.views ?? 0) > 0
}

/** Registers the demo sites (when missing), writes their traffic (a progress bar on a terminal), then expires their detail (and limited marginals) as a collector would. */
export async function seedDemoSites(store: Store, registry: RegistryFile, options: { seed?: number; days?: number }): Promise<number> {
  const current = registry.read()
  const missing = DEMO_SITES.filter((demo) => !current.sites.some((s) => s.id === demo.id)).map(({ id, origins, timezone, shares }) => ({ id, origins, timezone, shares }))
  registry.write({ ...current, sites: [...current.sites, ...missing] })
  const pageviews = await seedDemo(store, { ...options, progress: progressBar(process.stderr, 'demo data') })
  await expireDetail(store, registry.read().sites)
  await expireMarginals(store, registry.read().sites)
  return pageviews
}
