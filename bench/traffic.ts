import type { Client } from '../src/collector/ingest/enrich.js'
import { beaconRows } from '../src/collector/ingest/ingest.js'
import { mergeRow, type Row } from '../src/collector/schema.js'
import { calendar, startHour } from '../src/collector/sites/time-zone.js'
import type { Beacon } from '../src/shared/protocol.js'

/**
 * A site's traffic with real cardinality (issue 11): paths (2,000, Zipf s = 1.1), referrers
 * (300), sources (50), campaigns (20), countries (120), languages (40), screens (4), browsers (20)
 * with versions (8), OS (10), devices (3), drawn independently per page view. Two ways to make a
 * day of it, both giving rows as ingest writes them:
 * - `ingestedDay`: one beacon per page view through beaconRows and the group commit's merge
 *   (every tier, detail included), for the days whose volume allows it;
 * - `drawnDay`: each dimension's counts per value drawn from the same distributions and written
 *   as the marginal rows and hourly totals ingest would write, for history at any volume.
 */

export const SITE = { id: 'bench.test', timezone: 'Europe/Madrid' }

/** mulberry32: deterministic, so that every store gets the same traffic. */
export function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A Zipf distribution over `values`: P(k) ∝ 1 / k^s. */
export const zipf = <T>(values: T[], s = 1.1) =>
  weighted(
    values,
    values.map((_, k) => 1 / (k + 1) ** s),
  )

/** Values drawn in proportion to their weights. */
export function weighted<T>(values: T[], weights: number[]) {
  const total = weights.reduce((a, b) => a + b, 0)
  const probabilities = weights.map((w) => w / total)
  const cumulative: number[] = []
  probabilities.reduce((sum, p, i) => (cumulative[i] = sum + p), 0)
  return {
    values,
    probabilities,
    draw(next: () => number): T {
      const x = next()
      let lo = 0
      let hi = values.length - 1
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (cumulative[mid]! < x) lo = mid + 1
        else hi = mid
      }
      return values[lo]!
    },
  }
}

/** `n` names, the k-th made by `name(k)`. */
export const list = (n: number, name: (k: number) => string) => Array.from({ length: n }, (_, k) => name(k))
const BROWSERS = [
  'Chrome',
  'Mobile Safari',
  'Edge',
  'Firefox',
  'Samsung Browser',
  'Safari',
  'Opera',
  'Chrome WebView',
  'Brave',
  'Yandex',
  'UCBrowser',
  'Vivaldi',
  'DuckDuckGo',
  'Silk',
  'Whale',
  'Facebook',
  'Instagram',
  'Chromium',
  'Opera GX',
  'Mobile Firefox',
]
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
export const MODEL = {
  // /section-7/page-123: 40 sections, as a site's folders.
  path: zipf(list(2000, (k) => `/section-${k % 40}/page-${k}`)),
  referrer: zipf(['', ...list(299, (k) => `referrer-${k}.example`)]),
  source: zipf(['', ...list(49, (k) => `source-${k}`)]),
  medium: zipf(['', 'email', 'social', 'cpc', 'referral', 'newsletter']),
  campaign: zipf(['', ...list(19, (k) => `campaign-${k}`)]),
  country: zipf(list(120, (k) => LETTERS[k % 26]! + LETTERS[Math.floor(k / 26)]!)),
  language: zipf(list(40, (k) => LETTERS[k % 26]!.toLowerCase() + LETTERS[Math.floor(k / 26) + 10]!.toLowerCase())),
  screen: zipf(['desktop', 'mobile', 'laptop', 'tablet'], 1),
  browser: zipf(BROWSERS),
  browser_version: zipf(
    list(8, (k) => String(131 - k)),
    1,
  ),
  os: zipf(['Windows', 'Android', 'iOS', 'Mac OS', 'Linux', 'Chrome OS', 'Ubuntu', 'Fedora', 'HarmonyOS', 'FreeBSD']),
  device: zipf(['desktop', 'mobile', 'tablet'], 1),
  event: zipf(['Signup', 'File Download', 'Outbound Link', 'Newsletter', '404', 'Donate', 'Search', 'Share', 'Contact', 'Play Video']),
  plan: zipf(['free', 'pro', 'team', 'enterprise']),
}
/** Time zones that map to a country the model names, so that ingest's time-zone → country step is real. */
const ZONES = zipf([
  'Europe/Madrid',
  'America/Mexico_City',
  'America/Bogota',
  'America/Argentina/Buenos_Aires',
  'Europe/Paris',
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'America/Santiago',
  'America/Lima',
  'Asia/Tokyo',
  'Australia/Sydney',
])

/** Shares of page views that start a visit, that are a visitor's first of the day, and of the month. */
const VISIT = 0.45
const NEW_TODAY = 0.8
const NEW_MONTH = 0.55
/** Beacons with a custom event, and with a consent decision. */
const EVENTS = 0.05
const CONSENTS = 0.03

/** Page views of a day at a monthly volume, with a weekly rhythm. */
export const viewsOfDay = (perMonth: number, day: number) => Math.round((perMonth / 30.4) * ([0.7, 1.1, 1.1, 1.1, 1.05, 1, 0.75][(day + 4) % 7]! / 0.971))

/** Share of a day's traffic in each local hour: low at night, highest in the afternoon. */
const HOURS = Array.from({ length: 24 }, (_, h) => 0.3 + Math.max(0, Math.sin(((h - 6) / 18) * Math.PI)))
const HOUR_TOTAL = HOURS.reduce((a, b) => a + b, 0)
const HOUR_OF_DAY = weighted(
  HOURS.map((_, h) => h),
  HOURS,
)

/** The UTC hours of a local day. */
const hoursOfDay = (date: string) => {
  const from = startHour(date, SITE.timezone)
  const to = startHour(new Date(Date.parse(date) + 86_400_000).toISOString().slice(0, 10), SITE.timezone)
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** A day of page views as beacons through ingest: every tier, merged as the group commit merges. */
export function ingestedDay(date: string, views: number, seed: number, detailDays: number): { rows: Row[]; pageviews: number } {
  const next = random(seed)
  const merged = new Map<string, Row>()
  const hours = hoursOfDay(date)
  for (let i = 0; i < views; i++) {
    // Days of 23 or 25 hours (DST) spread the 24 shares over their hours.
    const hour = hours[Math.floor((HOUR_OF_DAY.draw(next) * hours.length) / 24)]!
    const client: Client = { browser: MODEL.browser.draw(next), browser_version: MODEL.browser_version.draw(next), os: MODEL.os.draw(next), device: MODEL.device.draw(next) }
    const entry = next() < VISIT
    const today = entry && next() < NEW_TODAY
    const source = MODEL.source.draw(next)
    const beacon: Beacon = {
      v: 1,
      site: SITE.id,
      tz: ZONES.draw(next),
      lang: MODEL.language.draw(next),
      screen: MODEL.screen.draw(next) as Beacon['screen'],
      pages: [
        {
          path: MODEL.path.draw(next),
          ...(entry && { ref: MODEL.referrer.draw(next) || undefined }),
          ...(source && { source, medium: MODEL.medium.draw(next) || undefined, campaign: MODEL.campaign.draw(next) || undefined }),
          flags: (entry ? 1 : 0) | (today ? 2 : 0) | (today && next() < NEW_MONTH ? 4 : 0),
          views: 1,
          seconds: Math.floor(next() * 80),
          scroll: Math.floor(next() * 100),
        },
      ],
      ...(next() < EVENTS && {
        events: [{ name: MODEL.event.draw(next), path: MODEL.path.draw(next), count: 1, ...(next() < 0.5 && { props: { plan: MODEL.plan.draw(next) } }) }],
      }),
      ...(next() < CONSENTS && {
        consents: [{ decision: (['accept-all', 'reject-all', 'custom'] as const)[Math.floor(next() * 3)]!, categories: { analytics: next() < 0.6 }, count: 1 }],
      }),
    }
    for (const row of beaconRows(beacon, client, hour, { timezone: SITE.timezone, detailDays })) mergeRow(merged, row)
  }
  return { rows: [...merged.values()], pageviews: views }
}

/** n trials of probability p: exact for small n, normal beyond. */
function binomial(next: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0
  if (p >= 1) return n
  if (n < 40) {
    let k = 0
    for (let i = 0; i < n; i++) if (next() < p) k++
    return k
  }
  const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
  return Math.max(0, Math.min(n, Math.round(n * p + gauss * Math.sqrt(n * p * (1 - p)))))
}

/** `n` split over values by their probabilities (a multinomial draw, as sequential binomials). */
function split(next: () => number, n: number, probabilities: number[]): number[] {
  let left = n
  let mass = 1
  return probabilities.map((p) => {
    const k = left > 0 ? binomial(next, left, Math.min(1, p / mass)) : 0
    left -= k
    mass -= p
    return k
  })
}

/** A day drawn per dimension, written as ingest writes marginal rows and hourly totals (no detail). */
export function drawnDay(date: string, views: number, seed: number): { rows: Row[]; pageviews: number } {
  const next = random(seed)
  const { day, month } = calendar(startHour(date, SITE.timezone), SITE.timezone)
  const rows: Row[] = []
  const add = (dimension: string, parent: string, value: string, counts: Record<string, number>) => {
    const dims = { dimension, parent, value }
    rows.push({ table: 'daily', site: SITE.id, time: day, dims, counts }, { table: 'monthly', site: SITE.id, time: month, dims, counts })
  }
  const pageCounts = (v: number) => {
    const visits = binomial(next, v, VISIT)
    const visitorsDay = binomial(next, visits, NEW_TODAY)
    return { views: v, visits, visitors_day: visitorsDay, visitors_month: binomial(next, visitorsDay, NEW_MONTH), seconds: v * 40, scroll: v * 50 }
  }
  for (const name of ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'os', 'device'] as const) {
    const { values, probabilities } = MODEL[name]
    split(next, views, probabilities).forEach((v, k) => {
      if (v) add(name, '', values[k]!, pageCounts(v))
    })
  }
  // A version under its browser: the pair is the value.
  split(next, views, MODEL.browser.probabilities).forEach((v, b) => {
    split(next, v, MODEL.browser_version.probabilities).forEach((w, k) => {
      if (w) add('browser_version', MODEL.browser.values[b]!, MODEL.browser_version.values[k]!, pageCounts(w))
    })
  })
  const events = binomial(next, views, EVENTS)
  split(next, events, MODEL.event.probabilities).forEach((e, k) => {
    if (!e) return
    add('name', '', MODEL.event.values[k]!, { events: e })
    split(next, binomial(next, e, 0.5), MODEL.plan.probabilities).forEach((p, j) => {
      if (p) add('prop', MODEL.event.values[k]!, `plan=${MODEL.plan.values[j]}`, { events: p })
    })
  })
  const decisions = binomial(next, views, CONSENTS)
  split(next, decisions, [0.5, 0.3, 0.2]).forEach((d, k) => {
    if (d) add('decision', '', ['accept-all', 'reject-all', 'custom'][k]!, { decisions: d })
  })
  const granted = binomial(next, decisions, 0.6)
  if (granted) add('category', '', 'analytics:granted', { decisions: granted })
  if (decisions - granted) add('category', '', 'analytics:refused', { decisions: decisions - granted })
  // The day's totals over its hours, by the daily rhythm; visits and visitors as the path rows had them.
  const hours = hoursOfDay(date)
  const day0 = pageCounts(views)
  add('total', '', '', { ...day0, events })
  const shares = split(
    next,
    views,
    hours.map((_, i) => HOURS[Math.floor((i * 24) / hours.length)]! / HOUR_TOTAL),
  )
  hours.forEach((hour, i) => {
    const v = shares[i]!
    if (!v) return
    const part = (c: number) => Math.round((c * v) / Math.max(1, views))
    rows.push({
      table: 'totals',
      site: SITE.id,
      time: hour,
      dims: {},
      counts: {
        views: v,
        visits: part(day0.visits),
        visitors_day: part(day0.visitors_day),
        visitors_month: part(day0.visitors_month),
        seconds: v * 40,
        scroll: v * 50,
        events: part(events),
        undetailed: v,
      },
    })
  })
  return { rows, pageviews: views }
}

/** The local dates of the `days` days up to `last`, oldest first. */
export const datesUpTo = (last: string, days: number) => Array.from({ length: days }, (_, i) => new Date(Date.parse(last) - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10))
