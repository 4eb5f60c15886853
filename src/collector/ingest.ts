import { type Beacon, FLAG } from '../shared/protocol.js'
import { countryOf, type Client } from './enrich.js'
import type { Row } from './rows.js'

/**
 * Turns a validated beacon into counter rows for the hour it arrived in. Visitor and visit
 * flags become counters here (a view with "first visit today" adds to visitors_day), so a row
 * holds counts only. The time zone becomes a country and is dropped.
 */
export function beaconRows(beacon: Beacon, client: Client, hour: number): Row[] {
  const site = beacon.site
  const common = { country: countryOf(beacon.tz), language: beacon.lang ?? '', screen: beacon.screen ?? '', browser: client.browser, os: client.os, device: client.device }
  const rows: Row[] = []
  for (const page of beacon.pages ?? []) {
    const counted = (flag: number) => (page.flags & flag ? page.views : 0)
    rows.push({
      table: 'pages',
      site,
      hour,
      dims: { path: page.path, referrer: page.ref ?? '', source: page.source ?? '', medium: page.medium ?? '', campaign: page.campaign ?? '', ...common, browser_version: client.browser_version },
      counts: { views: page.views, visits: counted(FLAG.entry), visitors_day: counted(FLAG.newToday), visitors_month: counted(FLAG.newThisMonth), seconds: page.seconds, scroll: page.scroll },
    })
  }
  for (const event of beacon.events ?? []) {
    const props = JSON.stringify(Object.fromEntries(Object.entries(event.props ?? {}).sort()))
    rows.push({ table: 'events', site, hour, dims: { name: event.name, path: event.path, props, ...common }, counts: { count: event.count } })
  }
  for (const consent of beacon.consents ?? []) {
    // A decision is counted without browser, country or page: nothing to tie it to a visit.
    const categories = JSON.stringify(Object.fromEntries(Object.entries(consent.categories).sort()))
    rows.push({ table: 'consents', site, hour, dims: { decision: consent.decision, categories }, counts: { count: consent.count } })
  }
  return rows
}
