import type { Row } from '../src/collector/rows.js'
import type { Site } from '../src/collector/sites.js'
import { parseStatsQuery, runStats } from '../src/collector/stats.js'
import type { Store } from '../src/collector/stores/store.js'
import { median, round } from './machine.js'

/**
 * Query latency: what one dashboard view asks (top line with the previous period, time series,
 * eight breakdowns), over 30 days and 12 months, on seeded aggregates. Stored rows follow
 * distinct tuples per hour, not traffic, so a traffic level is a number of rows per hour and the
 * counts in them; the figures below say which.
 */

export const SCALES = {
  '1 M page views/month': { site: 'small.test', rowsPerHour: 120, viewsPerHour: 1_000_000 / 720 },
  '100 M page views/month': { site: 'large.test', rowsPerHour: 480, viewsPerHour: 100_000_000 / 720 },
} as const

const PATHS = Array.from({ length: 400 }, (_, i) => `/section-${i % 20}/page-${i}`)
const REFERRERS = ['', '', '', 'google.com', 'duckduckgo.com', 'bing.com', 'news.example', 'mastodon.social', 'github.com', 'reddit.com']
const COUNTRIES = ['ES', 'MX', 'US', 'AR', 'CO', 'FR', 'DE', 'GB', 'CL', 'PE']
const CLIENTS = [['Chrome', 'Windows', 'desktop'], ['Chrome', 'Android', 'mobile'], ['Mobile Safari', 'iOS', 'mobile'], ['Firefox', 'Linux', 'desktop'], ['Safari', 'Mac OS', 'desktop'], ['Edge', 'Windows', 'desktop']]

function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}

/** Writes `hours` hours of aggregate rows ending now for one scale, a day per write. */
export async function seedAggregates(store: Store, scale: (typeof SCALES)[keyof typeof SCALES], hours: number): Promise<number> {
  const next = random(7)
  const pick = <T>(list: readonly T[]) => list[Math.floor(list.length * next() ** 2)]!
  const last = Math.floor(Date.now() / 3_600_000)
  let rows = 0
  for (let start = last - hours; start < last; start += 24) {
    const batch: Row[] = []
    for (let hour = start; hour < Math.min(start + 24, last); hour++) {
      for (let i = 0; i < scale.rowsPerHour; i++) {
        const views = Math.max(1, Math.round((2 * scale.viewsPerHour * next()) / scale.rowsPerHour))
        const [browser, os, device] = pick(CLIENTS)
        batch.push({
          table: 'pages', site: scale.site, hour,
          dims: { path: pick(PATHS), referrer: pick(REFERRERS), source: '', medium: '', campaign: '', country: pick(COUNTRIES), language: next() < 0.5 ? 'es' : 'en', screen: device == 'mobile' ? 'mobile' : 'desktop', browser: browser!, browser_version: '131', os: os!, device: device! },
          counts: { views, visits: Math.round(views * 0.45), visitors_day: Math.round(views * 0.35), visitors_month: Math.round(views * 0.2), seconds: views * 40, scroll: views * 60 },
        })
      }
      batch.push({ table: 'events', site: scale.site, hour, dims: { name: 'Signup', path: '/join', props: '{}', country: 'ES', language: 'es', screen: 'desktop', browser: 'Chrome', os: 'Windows', device: 'desktop' }, counts: { count: 3 } })
    }
    await store.write(batch)
    rows += batch.length
  }
  return rows
}

const DASHBOARD = ['', 'page', 'entry_page', 'referrer', 'source', 'country', 'browser', 'os', 'device'] as const

/** Milliseconds of one dashboard view (median of `runs`), for a period. */
export async function timeDashboard(store: Store, siteId: string, period: '30d' | '12mo', runs: number): Promise<number> {
  const site: Site = { id: siteId, origins: [], timezone: 'UTC', shares: [] }
  const times: number[] = []
  for (let run = 0; run < runs + 1; run++) {
    const started = performance.now()
    for (const breakdown of DASHBOARD) {
      const params = new URLSearchParams({ period, ...(breakdown ? { breakdown, limit: '10' } : { compare: 'previous' }) })
      const parsed = parseStatsQuery(params, site)
      if (!parsed.ok) throw new Error(parsed.error.message)
      await runStats(store, parsed.query)
    }
    if (run > 0) times.push(performance.now() - started) // the first run warms caches
  }
  return round(median(times), 1)
}
