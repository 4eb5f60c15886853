import { type Beacon, FLAG } from '../../shared/protocol.js'
import type { Row } from '../schema.js'
import { calendar } from '../sites/time-zone.js'
import { type Client, countryOf } from './enrich.js'
import { type CountedDay, consentRows, tierRows } from './tiers.js'

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

/**
 * What a beacon adds, before it is counted in the tiers: its records as detail-shaped rows, the
 * site-local day they count in and whether the site keeps detail, and the rows already in their
 * tier (consent decisions). The group commit merges records first and counts each distinct one
 * in the tiers once per commit (countedRows): the sums are the same, the work far less.
 */
export interface Counted {
  records: Row[]
  day: CountedDay
  keepDetail: boolean
  rows: Row[]
}

export function beaconCounted(beacon: Beacon, client: Client, hour: number, site: IngestSite): Counted {
  const day = calendar(hour, site.timezone)
  return { records: recordRows(beacon, client, hour, site.params), day, keepDetail: site.detailDays > 0, rows: consentRows(beacon.site, beacon.consents ?? [], day) }
}

/** The rows of every tier that counted records add. */
export const countedRows = ({ records, day, keepDetail, rows }: Counted): Row[] => [...tierRows(records, day, keepDetail), ...rows]

/** Every row a beacon adds, in both tiers, for the hour it arrived in. */
export const beaconRows = (beacon: Beacon, client: Client, hour: number, site: IngestSite): Row[] => countedRows(beaconCounted(beacon, client, hour, site))
