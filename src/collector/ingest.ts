import { type Beacon, FLAG } from '../shared/protocol.js'
import { type Client, countryOf } from './enrich.js'
import type { Row } from './rows.js'
import { consentRows, tierRows } from './tiers.js'
import { calendar } from './time-zone.js'

/** What ingest needs of a site: where its days begin, what a path may keep, and whether it keeps detail. */
export interface IngestSite {
  timezone: string
  params?: readonly string[]
  /** Days of detail the site keeps (0: marginals only, no detail row is ever written). */
  detailDays: number
}

/** The path with only the site's allowed query parameters left. */
export function keepParams(path: string, allowed: readonly string[]): string {
  const [pathname = '', query] = path.split('?', 2)
  const kept = query?.split('&').filter((pair) => allowed.includes(pair.split('=')[0]!))
  return kept?.length ? `${pathname}?${kept.join('&')}` : pathname
}

/**
 * A validated beacon as detail rows for the hour it arrived in: one per page record and event
 * record, with the whole tuple of dimensions. Visitor and visit flags become counters here (a
 * view with "first visit today" adds to visitors_day), so a row holds counts only. The time
 * zone becomes a country and is dropped.
 */
export function recordRows(beacon: Beacon, client: Client, hour: number, params: readonly string[] = []): Row[] {
  const site = beacon.site
  const common = { country: countryOf(beacon.tz), language: beacon.lang ?? '', screen: beacon.screen ?? '', browser: client.browser, os: client.os, device: client.device }
  const rows: Row[] = []
  for (const page of beacon.pages ?? []) {
    const counted = (flag: number) => (page.flags & flag ? page.views : 0)
    rows.push({
      table: 'detail_pages',
      site,
      time: hour,
      dims: {
        path: keepParams(page.path, params),
        referrer: page.ref ?? '',
        source: page.source ?? '',
        medium: page.medium ?? '',
        campaign: page.campaign ?? '',
        ...common,
        browser_version: client.browser_version,
      },
      counts: {
        views: page.views,
        visits: counted(FLAG.entry),
        visitors_day: counted(FLAG.newToday),
        visitors_month: counted(FLAG.newThisMonth),
        seconds: page.seconds,
        scroll: page.scroll,
      },
    })
  }
  for (const event of beacon.events ?? []) {
    const props = JSON.stringify(Object.fromEntries(Object.entries(event.props ?? {}).sort()))
    rows.push({ table: 'detail_events', site, time: hour, dims: { name: event.name, path: keepParams(event.path, params), props, ...common }, counts: { events: event.count } })
  }
  return rows
}

/** Every row a beacon adds, in both tiers, for the hour it arrived in. */
export function beaconRows(beacon: Beacon, client: Client, hour: number, site: IngestSite): Row[] {
  const day = calendar(hour, site.timezone)
  return [...tierRows(recordRows(beacon, client, hour, site.params), day, site.detailDays > 0), ...consentRows(beacon.site, beacon.consents ?? [], day)]
}
