import { DIMENSIONS, type DimensionName } from './dimensions.js'
import { personalData, personalProp, refuseEventName } from './personal-data.js'
import { CATEGORY, CONSENT_DECISIONS, LANGUAGE, LIMITS, PARAM_NAME, SCREEN_CLASSES } from './protocol.js'
import { appendQuery, scrubHost, scrubPath, scrubValue } from './scrub-url.js'
import { wellFormed } from './well-formed.js'

/**
 * The one gate between any door and the store (DESIGN.md decision 12): for every stored dimension
 * (dimensions.ts), the rule that turns a value into what is stored, or refuses it. The collector's
 * beacon parser, its user-agent enrichment and every import pass each value through `gate()`, so a
 * value is scrubbed or refused the same way whichever door it came in by.
 *
 * Scrubbed: a path keeps its shape with personal segments as placeholders (`/user/[email]`), a
 * referrer host that is or embeds an address is `[ip]`, a campaign value that looks personal is
 * its placeholder, a browser or OS name that is not a plain short name is `Unknown`, a browser
 * version that is not 1 to 4 digits is ''. Refused: an event name, prop or consent category that
 * looks personal (a count of it would single out who sent it), a value outside a closed set.
 * Every value is clipped to its bound and leaves well-formed (a lone UTF-16 surrogate becomes
 * U+FFFD); one holding a control character is refused.
 */

/** Why a value may not be stored: the rule it breaks, in words. */
export interface Refusal {
  refused: string
}
type Rule = (value: string) => string | Refusal

const refuse = (refused: string): Refusal => ({ refused })
const kept = (why: string | undefined, value: string) => (why ? refuse(why) : value)
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are matched on purpose, to refuse a value holding one
const CONTROL = /[\u0000-\u001f\u007f]/

const oneOf =
  (allowed: readonly string[]): Rule =>
  (value) =>
    allowed.includes(value) ? value : refuse(`must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`)

/** A browser or OS as parsers name them (`Mobile Safari`, `360 Browser`, `Mac OS`): anything else is free text. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/
const plainName: Rule = (value) => (NAME.test(value) && !personalData(value) ? value : 'Unknown')

/**
 * Referrer hosts repeat (a site has a few hundred), and a host's labels each pass the rules: the
 * collector remembers the last few thousand answers. Cleared when full, which costs a
 * recomputation and nothing else.
 */
const hosts = new Map<string, string>()
function referrer(value: string): string {
  let host = hosts.get(value)
  if (host === undefined) {
    if (hosts.size >= 5_000) hosts.clear()
    hosts.set(value, (host = (value && scrubHost(value)) || ''))
  }
  return host
}

const campaign: Rule = (value) => (value ? scrubValue(value, LIMITS.campaign) : '')

/** A path as stored: `/a/b`, a `#/route` of hash routing, allowlisted `key=value` pairs; '' for an event on no page. */
function path(value: string): string | Refusal {
  if (!value) return ''
  if (value[0] !== '/') return refuse('must start with "/"')
  const hash = value.indexOf('#')
  if (hash >= 0 && value[hash + 1] !== '/') return refuse('must not carry a fragment (only a "#/route" of hash routing)')
  const [pathname = '', query, ...more] = value.split('?')
  if (more.length) return refuse('must have at most one "?" (values are percent-encoded)')
  const pairs: string[] = []
  for (const [i, pair] of (query?.split('&') ?? []).entries()) {
    const [key = '', ...rest] = pair.split('=')
    if (!PARAM_NAME.test(key)) return refuse(`query parameter ${i + 1}: name must match ${PARAM_NAME} (got ${JSON.stringify(key.slice(0, 40))})`)
    pairs.push(`${key}=${scrubValue(rest.join('='), LIMITS.campaign)}`)
  }
  return appendQuery(scrubPath(pathname), pairs)
}

/** `key=value` under an event name: the prop rules of the tracker (personal-data.ts personalProp). */
function prop(value: string): string | Refusal {
  const at = value.indexOf('=')
  return kept(at < 0 ? 'must be key=value' : personalProp(value.slice(0, at), value.slice(at + 1)), value)
}

/** `name:granted` or `name:refused`, for each optional consent category offered. */
function category(value: string): string | Refusal {
  const name = /^(.*):(granted|refused)$/.exec(value)?.[1]
  if (!name || !CATEGORY.test(name) || name === 'necessary') return refuse(`key must match ${CATEGORY} and not be "necessary" (stored as key:granted or key:refused)`)
  const rule = personalData(name)
  return kept(rule && `looks like personal data (${rule})`, value)
}

const RULES: Record<DimensionName | 'total', Rule> = {
  // The totals of a day: a row of no attribute at all.
  total: oneOf(['']),
  path,
  referrer,
  source: campaign,
  medium: campaign,
  campaign,
  country: (value) => (/^([A-Z]{2})?$/.test(value) ? value : refuse('must be an ISO 3166 alpha-2 code (two capital letters) or empty')),
  language: (value) => (!value || LANGUAGE.test(value) ? value : refuse(`must match ${LANGUAGE} or be empty`)),
  screen: oneOf(['', ...SCREEN_CLASSES]),
  browser: plainName,
  // Client Hints send at most 4 digits; a longer "major version" can only be made up.
  browser_version: (value) => (/^\d{1,4}$/.test(value) ? value : ''),
  os: plainName,
  device: oneOf(['', 'mobile', 'tablet', 'desktop']),
  name: (value) => kept(refuseEventName(value), value),
  prop,
  decision: oneOf(CONSENT_DECISIONS),
  category,
}

/**
 * What is stored of `value` as a value of `dimension` (placeholders, clipped, well-formed), or
 * the rule it breaks.
 *
 * @example gate('path', '/user/jo@x.org') // '/user/[email]'
 * gate('name', 'Call 612 345 678') // { refused: 'looks like personal data (phone)' }
 */
export function gate(dimension: DimensionName | 'total', value: string): string | Refusal {
  // Browsers percent-encode control characters, and no parser names a browser with one: a raw one was never sent by a page.
  if (CONTROL.test(value)) return refuse('must not contain control characters (U+0000 to U+001F, U+007F)')
  const out = RULES[dimension](value)
  return typeof out === 'string' ? wellFormed(out) : out
}

const PARENT = Object.fromEntries(DIMENSIONS.map((d) => [d.name, (d as { parent?: DimensionName }).parent])) as Partial<Record<string, DimensionName>>

/**
 * A marginal attribute through the gate: its value by its dimension's rule and its parent (the
 * event of a prop, the browser of a version) by the parent's, or the first refusal with the
 * value refused.
 */
export function gateAttribute(dimension: string, parent: string, value: string): { parent: string; value: string } | (Refusal & { value: string }) {
  if (!(dimension in RULES)) return { refused: `is not a dimension (${Object.keys(RULES).join(', ')})`, value: dimension }
  const over = PARENT[dimension]
  const keptParent = over ? gate(over, parent) : parent ? refuse('must have no parent') : ''
  if (typeof keptParent !== 'string') return { ...keptParent, value: parent }
  const keptValue = gate(dimension as DimensionName, value)
  if (typeof keptValue !== 'string') return { ...keptValue, value }
  return { parent: keptParent, value: keptValue }
}
