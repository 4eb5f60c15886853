import { type Beacon, FLAG } from '../shared/protocol.js'
import { countryOf, type Client } from './enrich.js'
import type { Row } from './rows.js'

/** The path with only the site's allowed query parameters left. */
export function keepParams(path: string, allowed: readonly string[]): string {
  const [pathname = '', query] = path.split('?', 2)
  const kept = query?.split('&').filter((pair) => allowed.includes(pair.split('=')[0]!))
  return kept?.length ? `${pathname}?${kept.join('&')}` : pathname
}

/**
 * Turns a validated beacon into counter rows for the hour it arrived in. Visitor and visit
 * flags become counters here (a view with "first visit today" adds to visitors_day), so a row
 * holds counts only. The time zone becomes a country and is dropped.
 */
export function beaconRows(beacon: Beacon, client: Client, hour: number, params: readonly string[] = []): Row[] {
  const site = beacon.site
  const common = { country: countryOf(beacon.tz), language: beacon.lang ?? '', screen: beacon.screen ?? '', browser: client.browser, os: client.os, device: client.device }
  const rows: Row[] = []
  for (const page of beacon.pages ?? []) {
    const counted = (flag: number) => (page.flags & flag ? page.views : 0)
    rows.push({
      table: 'pages',
      site,
      hour,
      dims: { path: keepParams(page.path, params), referrer: page.ref ?? '', source: page.source ?? '', medium: page.medium ?? '', campaign: page.campaign ?? '', ...common, browser_version: client.browser_version },
      counts: { views: page.views, visits: counted(FLAG.entry), visitors_day: counted(FLAG.newToday), visitors_month: counted(FLAG.newThisMonth), seconds: page.seconds, scroll: page.scroll },
    })
  }
  for (const event of beacon.events ?? []) {
    const props = JSON.stringify(Object.fromEntries(Object.entries(event.props ?? {}).sort()))
    rows.push({ table: 'events', site, hour, dims: { name: event.name, path: keepParams(event.path, params), props, ...common }, counts: { count: event.count } })
  }
  for (const consent of beacon.consents ?? []) {
    // A decision is counted without browser, country or page: nothing to tie it to a visit.
    const categories = JSON.stringify(Object.fromEntries(Object.entries(consent.categories).sort()))
    rows.push({ table: 'consents', site, hour, dims: { decision: consent.decision, categories }, counts: { count: consent.count } })
  }
  return rows
}
