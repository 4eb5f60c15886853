import { isbot } from 'isbot'
import UAParser from 'ua-parser-js'
import { TIME_ZONE_COUNTRIES } from './time-zone-countries.js'

/** What the collector keeps of a request's headers: coarse classes, never the strings themselves. */
export interface Client {
  browser: string
  browser_version: string
  os: string
  device: string
}

const CACHE_SIZE = 2_000
const cache = new Map<string, Client | null>()

/** Browser brand and major version from `Sec-CH-UA`, skipping the GREASE and engine entries. */
function fromClientHints(headers: Headers): Partial<Client> {
  const brands = [...(headers.get('sec-ch-ua') ?? '').matchAll(/"([^"]+)";\s*v="(\d+)/g)].map(([, name = '', major = '']) => ({ name, major }))
  const brand = brands.find((b) => !/not.a.brand|chromium/i.test(b.name)) ?? brands.find((b) => /chromium/i.test(b.name))
  const platform = headers.get('sec-ch-ua-platform')?.replace(/"/g, '')
  const mobile = headers.get('sec-ch-ua-mobile')
  return {
    ...(brand && { browser: brand.name.replace(/^Google /, ''), browser_version: brand.major }),
    ...(platform && { os: platform == 'macOS' ? 'Mac OS' : platform }),
    ...(mobile == '?1' && { device: 'mobile' }),
  }
}

/**
 * Browser family and major version, OS and device class of a request, or null for a bot or
 * crawler (or no user agent at all). The user-agent string is parsed once per distinct value
 * (cached in memory) and never stored, logged or returned.
 */
export function describeClient(headers: Headers): Client | null {
  const agent = headers.get('user-agent') ?? ''
  let client = cache.get(agent)
  if (client === undefined) {
    if (!agent || isbot(agent)) client = null
    else {
      const { browser, os, device } = new UAParser(agent).getResult()
      client = {
        browser: browser.name ?? 'Unknown',
        browser_version: browser.major ?? '',
        os: os.name ?? 'Unknown',
        device: device.type == 'mobile' || device.type == 'tablet' ? device.type : 'desktop',
      }
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
    cache.set(agent, client)
  }
  return client && { ...client, ...fromClientHints(headers) }
}

/** The ISO 3166 country of an IANA time zone, or '' when unknown (e.g. `UTC`). */
export const countryOf = (timeZone: string | undefined): string => (timeZone && TIME_ZONE_COUNTRIES[timeZone]) || ''
