import { SITE_ID } from '../shared/protocol.js'
import type { Collector } from './transport.js'

/** The error every option check throws: the option, its value as JSON and the allowed form. */
export function fail(option: string, value: unknown, rule: string): never {
  throw new Error(`quietcount: ${option} ${JSON.stringify(value)} must be ${rule}`)
}

/** The site id of a page that names none: its host name without `www.`. */
export const pageSite = () => location.hostname.replace(/^www\./, '')

/** Refuses a site id the collector would refuse, at configuration time instead of on every beacon. */
export function checkSite(site: string): void {
  if (!SITE_ID.test(site)) fail('site', site, 'lowercase letters, digits, dots and dashes')
}

/** A collector URL made absolute (relative to the page), refused unless http(s); a function as it is. */
export function checkCollector(collector: Collector): Collector {
  if (typeof collector === 'string') {
    try {
      collector = new URL(collector, location.href).href
    } catch {}
    if (!/^https?:/.test(collector as string)) fail('collector', collector, 'an http(s) URL or a function')
  }
  return collector
}
