import { SITE_ID } from '../shared/protocol.js'

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
