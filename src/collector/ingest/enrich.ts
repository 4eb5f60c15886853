import { getAllTimezones } from 'countries-and-timezones'
import { isbot } from 'isbot'
import UAParser from 'ua-parser-js'
import { gate } from '../../shared/gate.js'

/** What the collector keeps of a request's headers: coarse classes, never the strings themselves. */
export interface Client {
  browser: string
  browser_version: string
  os: string
  device: string
}

const CACHE_SIZE = 2_000
const cache = new Map<string, Client | null>()

/**
 * Client Hints are free text that any client may set, so only known values are kept: a header
 * could otherwise carry an identifier into a stored dimension. Brands are named as ua-parser-js
 * names them, so both sources agree.
 */
const BRANDS: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  Opera: 'Opera',
  'Opera GX': 'Opera GX',
  Brave: 'Brave',
  'Samsung Internet': 'Samsung Browser',
  YaBrowser: 'Yandex',
  Yandex: 'Yandex',
  Whale: 'Whale',
  DuckDuckGo: 'DuckDuckGo',
  Chromium: 'Chromium',
}
const PLATFORMS: Record<string, string> = {
  Android: 'Android',
  'Chrome OS': 'Chrome OS',
  'Chromium OS': 'Chromium OS',
  Fuchsia: 'Fuchsia',
  iOS: 'iOS',
  Linux: 'Linux',
  macOS: 'Mac OS',
  Windows: 'Windows',
}

/** Browser brand and major version from `Sec-CH-UA`, skipping GREASE, engine and unknown entries. */
function fromClientHints(headers: Headers): Partial<Client> {
  const brands = [...(headers.get('sec-ch-ua') ?? '').matchAll(/"([^"]{1,40})";\s*v="(\d{1,4})"/g)].flatMap(([, name = '', major = '']) =>
    BRANDS[name] ? [{ name: BRANDS[name], major }] : [],
  )
  const brand = brands.find((b) => b.name !== 'Chromium') ?? brands[0]
  const platform = PLATFORMS[headers.get('sec-ch-ua-platform')?.replace(/"/g, '') ?? '']
  const mobile = headers.get('sec-ch-ua-mobile')
  return {
    ...(brand && { browser: brand.name, browser_version: brand.major }),
    ...(platform && { os: platform }),
    ...(mobile === '?1' && { device: 'mobile' }),
  }
}

/** A parsed name or version as stored; a value the gate refuses (a control character) is stored as none. */
function named(dimension: 'browser' | 'browser_version' | 'os', value = ''): string {
  const out = gate(dimension, value)
  return typeof out === 'string' ? out : (gate(dimension, '') as string)
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
      // The parser's names pass the gate as any door's do: a version is 1 to 4 digits
      // (`Chrome/5551234567.0` has none), a name a plain short one. Cached, so once per agent.
      client = {
        browser: named('browser', browser.name),
        browser_version: named('browser_version', browser.major),
        os: named('os', os.name),
        device: device.type === 'mobile' || device.type === 'tablet' ? device.type : 'desktop',
      }
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
    cache.set(agent, client)
  }
  return client && { ...client, ...fromClientHints(headers) }
}

/** The ISO 3166 country of an IANA time zone, or '' when unknown (e.g. `UTC`). */
/**
 * The ISO 3166 country of every time zone name, old link names included (Asia/Calcutta, US/Eastern),
 * from countries-and-timezones (maintained from the IANA tz database): where a zone serves several
 * countries, the first it lists. Zones of no country (UTC, Etc/GMT+5) are absent.
 */
const COUNTRY_OF_ZONE = new Map<string, string>(
  Object.values(getAllTimezones({ deprecated: true }))
    .filter((zone) => zone.countries.length)
    .map((zone) => [zone.name, zone.countries[0]!] as const),
)

/** The country a browser's time zone belongs to: the only location QuietCount knows, '' when none. */
export const countryOf = (timeZone: string | undefined): string => (timeZone && COUNTRY_OF_ZONE.get(timeZone)) || ''
