import { normalised, personalData } from './personal-data.js'
import { HOST, LIMITS } from './protocol.js'

/** Query parameters kept by default. utm_source/ref, utm_medium and utm_campaign become campaign fields. */
export const DEFAULT_PARAMS: readonly string[] = ['utm_source', 'utm_medium', 'utm_campaign', 'ref']

const CAMPAIGN: Record<string, 'source' | 'medium' | 'campaign'> = {
  utm_source: 'source',
  ref: 'source',
  utm_medium: 'medium',
  utm_campaign: 'campaign',
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are matched on purpose, to drop them
const CONTROL = /[\u0000-\u001f\u007f]/g

export interface ScrubbedUrl {
  path: string
  source?: string
  medium?: string
  campaign?: string
}

/** The value clipped to `max`, or the placeholder of the personal-data rule it matches (`[email]`). */
export function scrubValue(value: string, max: number): string {
  const rule = personalData(value)
  return rule ? `[${rule}]` : value.slice(0, max)
}

/** Appends `key=value` pairs to a path, each only if it still fits in the path limit. */
export function appendQuery(path: string, pairs: string[]): string {
  for (const pair of pairs) {
    const next = path + (path.includes('?') ? '&' : '?') + pair
    if (next.length <= LIMITS.path) path = next
  }
  return path
}

/**
 * Scrubs a path without its query: each segment that looks like personal data becomes a
 * placeholder, and `;matrix=params` (where servers put session ids) are dropped. Digits split
 * over segments (`/612/345/678`) are read together, as the phone rule reads other separators, and
 * become one `[phone]`. Idempotent, so the collector applies it again to whatever a beacon says.
 */
export function scrubPath(path: string): string {
  const segments = path.split('/').map((segment) => scrubValue(segment.split(';')[0]!, LIMITS.path))
  for (let i = 0; i < segments.length; i++) {
    let end = i
    while (/^[\d%]|^[^ -~]/.test(segments[end] ?? '') && /^\d+$/.test(normalised(segments[end]!))) end++
    if (end - i > 1 && personalData(segments.slice(i, end).join('/')) === 'phone') segments.splice(i, end - i, '[phone]')
  }
  return segments.join('/').slice(0, LIMITS.path)
}

/**
 * Reduces a page URL to what QuietCount records: the scrubbed path, the allowlisted query
 * parameters, and the campaign fields. The fragment is dropped unless `hash` routing is on, in
 * which case a `#/route` is kept and scrubbed like the path (`/#/settings`).
 *
 * @example scrubUrl('https://a.org/user/jo@x.org?utm_source=news&email=jo@x.org#top')
 *   // { path: '/user/[email]', source: 'news' }
 */
export function scrubUrl(href: string, params: readonly string[] = DEFAULT_PARAMS, hash?: boolean): ScrubbedUrl {
  const url = new URL(href, 'http://localhost')
  const route = hash && url.hash[1] === '/' ? `#${url.hash.slice(1).split('?')[0]}` : ''
  const out: ScrubbedUrl = { path: scrubPath(url.pathname + route) }
  const query: string[] = []
  for (const key of params) {
    // Control characters (a `%00` in a link) go: the collector refuses a value holding one.
    const value = url.searchParams.get(key)?.replace(CONTROL, '').trim()
    const field = CAMPAIGN[key]
    if (value && field) out[field] ??= scrubValue(value, LIMITS.campaign)
    else if (value) query.push(`${key}=${scrubValue(encodeURIComponent(value), LIMITS.campaign)}`)
  }
  out.path = appendQuery(out.path, query)
  return out
}

/**
 * A host as QuietCount keeps it, or undefined when it is not a host name of at most 253
 * characters. `www.` is dropped. A host that is or embeds an address becomes `[ip]`: an IPv6
 * literal, a host whose last label is a number (URL parsers read `2130706433`, `0x7f000001` and
 * `127.1` as IPv4), a dotted or dashed quad anywhere (`10.1.2.3.nip.io`, `10-1-2-3.sslip.io`) and
 * a dashed IPv6 label (`2001-db8--1.sslip.io`). A label that looks personal by the value rules
 * (`34612345678.example.com`, a token) is dropped with every label before it, since those name
 * things under it: what is kept is the host it belongs to (`example.com`). Punycode labels
 * (`xn--…`) are exempt from the token rule: they encode words of other scripts.
 */
export function scrubHost(host: string): string | undefined {
  host = host.toLowerCase().replace(/^www\./, '')
  const labels = host.split('.')
  if (
    /^\[|:/.test(host) ||
    /^(0x[\da-f]*|\d+)$/.test(labels[labels.length - 1]!) ||
    /(^|[^\d])\d{1,3}([.-]\d{1,3}){3}($|[^\d])/.test(host) ||
    labels.some((label) => /^(?=.*\d)(?=.*--|([^-]*-){7})[\da-f-]+$/.test(label))
  )
    return '[ip]'
  for (let i = labels.length; i--; ) {
    const rule = personalData(labels[i]!)
    if (rule && !(rule === 'token' && labels[i]!.startsWith('xn--'))) {
      host = labels.slice(i + 1).join('.')
      break
    }
  }
  if (HOST.test(host) && host.length <= LIMITS.host) return host
}

/**
 * A link as the `url` prop of `Outbound Link` and `File Download`: its host (when `host`), scrubbed
 * as a referrer host is, and its scrubbed path, at most a prop value's length.
 *
 * @example linkUrl('http://192.168.1.1/admin', true) // '[ip]/admin'
 */
export function linkUrl(href: string, host: boolean): string {
  let name = ''
  try {
    name = host ? (scrubHost(new URL(href).hostname) ?? '') : ''
  } catch {}
  return (name + scrubUrl(href, []).path).slice(0, LIMITS.propValue)
}

/** The host of a referrer URL, or undefined for the site's own host and an empty or non-web referrer. */
export function referrerHost(referrer: string, ownHost: string): string | undefined {
  const www = /^www\./
  let host = ''
  try {
    host = new URL(referrer).hostname
  } catch {}
  if (host.replace(www, '') !== ownHost.replace(www, '')) return scrubHost(host)
}
