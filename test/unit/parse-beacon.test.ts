import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ParsedBeacon, parseBeacon } from '../../src/shared/parse-beacon.js'
import { type Beacon, type EventRecord, LIMITS, type PageRecord } from '../../src/shared/protocol.js'
import { scrubUrl } from '../../src/shared/scrub-url.js'

const PAGE: PageRecord = { path: '/pricing', ref: 'duckduckgo.com', source: 'news', medium: 'email', campaign: 'spring', flags: 3, views: 1, seconds: 40, scroll: 75 }
const EVENT: EventRecord = { name: 'Signup', path: '/join', props: { plan: 'pro', variant: 'dark mode' }, count: 1 }
const BEACON: Beacon = { v: 1, site: 'example.org', tz: 'Europe/Berlin', lang: 'de', screen: 'laptop', pages: [PAGE], events: [EVENT] }

/** A valid beacon with top-level fields replaced (undefined removes a field). */
const beacon = (fields: Record<string, unknown>) => JSON.stringify({ ...BEACON, ...fields })
/** A valid beacon whose one page record has fields replaced. */
const withPage = (fields: Record<string, unknown>) => beacon({ pages: [{ ...PAGE, ...fields }], events: undefined })
/** A valid beacon whose one event record has fields replaced. */
const withEvent = (fields: Record<string, unknown>) => beacon({ events: [{ ...EVENT, ...fields }], pages: undefined })
const withProps = (props: unknown) => withEvent({ props })

function errorOf(parsed: ParsedBeacon) {
  if (parsed.ok) throw new Error(`expected the beacon to be refused, got ${JSON.stringify(parsed.beacon)}`)
  return parsed.error
}

function beaconOf(parsed: ParsedBeacon): Beacon {
  if (!parsed.ok) throw new Error(`expected the beacon to be accepted, got ${parsed.error.message}`)
  return parsed.beacon
}

describe('parseBeacon: valid beacons', () => {
  it('round-trips a valid beacon', () => {
    expect(beaconOf(parseBeacon(JSON.stringify(BEACON)))).toEqual(BEACON)
  })

  it('accepts a minimal beacon with one page record', () => {
    const minimal = { v: 1, site: 'a', pages: [{ path: '/', flags: 0, views: 1, seconds: 0, scroll: 0 }] }
    expect(beaconOf(parseBeacon(JSON.stringify(minimal)))).toEqual(minimal)
  })

  it('accepts an engagement-only record (0 views) and the scroll bound of 100 * (views + 1)', () => {
    expect(beaconOf(parseBeacon(withPage({ views: 0, seconds: 0, scroll: 100 }))).pages?.[0]?.scroll).toBe(100)
    expect(beaconOf(parseBeacon(withPage({ flags: 0, views: 2, scroll: 300 }))).pages?.[0]?.scroll).toBe(300)
  })

  it('accepts exactly LIMITS.records records', () => {
    const pages = Array.from({ length: LIMITS.records }, (_, i) => ({ ...PAGE, path: `/p/${i}`, flags: 0 }))
    expect(beaconOf(parseBeacon(beacon({ pages, events: undefined }))).pages).toHaveLength(LIMITS.records)
  })

  it('accepts the maxima of the numbers and string lengths', () => {
    const page = { ...PAGE, path: `/${'p'.repeat(LIMITS.path - 1)}`, flags: 0, views: LIMITS.counted - 2, seconds: LIMITS.seconds, scroll: 100 * (LIMITS.counted - 1) }
    const first = { ...PAGE, path: '/', flags: 7, views: 1 }
    const event = { name: 'Z'.repeat(LIMITS.eventName), path: '/', count: 1, props: { a: 'v'.repeat(LIMITS.propValue), b: 'x', c: 'y', d: 'z' } }
    const parsed = beaconOf(parseBeacon(beacon({ site: 's'.repeat(LIMITS.site), pages: [page, first], events: [event] })))
    expect(parsed.pages).toEqual([page, first])
    expect(parsed.events).toEqual([event])
  })

  it(`accepts ${LIMITS.counted} page views and events, one of each flag, and one consent decision: what one page adds in one flush`, () => {
    const pages = [
      { ...PAGE, path: '/', flags: 1, views: 1 },
      { ...PAGE, path: '/', flags: 6, views: 1 },
      { ...PAGE, flags: 0, views: LIMITS.counted - 3 },
    ]
    expect(beaconOf(parseBeacon(beacon({ pages, events: [{ ...EVENT, count: 1 }] }))).pages).toEqual(pages)
    const consents = [{ decision: 'accept-all', categories: { analytics: true }, count: 1 }]
    expect(beaconOf(parseBeacon(beacon({ pages: undefined, events: undefined, consents }))).consents).toEqual(consents)
  })

  it('accepts "constructor" as a prop key without touching prototypes', () => {
    const parsed = beaconOf(parseBeacon(withProps({ constructor: 'x' })))
    expect(parsed.events?.[0]?.props).toEqual({ constructor: 'x' })
    expect(({} as Record<string, unknown>).constructor).toBe(Object)
  })
})

type Bad = [name: string, body: string, field: string, rule: string]

const tooManyPages = Array.from({ length: LIMITS.records + 1 }, (_, i) => ({ ...PAGE, path: `/p/${i}` }))
const half = Math.ceil((LIMITS.records + 1) / 2)

const badCases: Bad[] = [
  // --- the body ---
  ['not JSON', 'hello', 'body', 'must be JSON'],
  ['empty body', '', 'body', 'must be JSON'],
  ['truncated JSON', JSON.stringify(BEACON).slice(0, 40), 'body', 'must be JSON'],
  ['JSON with a trailing comma', '{"v":1,"site":"a",}', 'body', 'must be JSON'],
  ['null', 'null', '', 'must be an object'],
  ['array body', '[]', '', 'must be an object'],
  ['array holding a beacon', JSON.stringify([BEACON]), '', 'must be an object'],
  ['string body', '"beacon"', '', 'must be an object'],
  ['number body', '42', '', 'must be an object'],
  ['body over LIMITS.beaconBytes (whitespace)', JSON.stringify(BEACON) + ' '.repeat(LIMITS.beaconBytes), 'body', `at most ${LIMITS.beaconBytes} bytes`],
  ['body over LIMITS.beaconBytes in bytes, not characters', beacon({ campaign: undefined, junk: '€'.repeat(11_000) }), 'body', `at most ${LIMITS.beaconBytes} bytes`],
  // --- version and site ---
  ['wrong version', beacon({ v: 2 }), 'v', 'must be 1'],
  ['version as a string', beacon({ v: '1' }), 'v', 'must be 1'],
  ['missing version', beacon({ v: undefined }), 'v', 'must be 1'],
  ['missing site', beacon({ site: undefined }), 'site', 'must be a string'],
  ['site null', beacon({ site: null }), 'site', 'must be a string'],
  ['site a number', beacon({ site: 123 }), 'site', 'must be a string'],
  ['empty site', beacon({ site: '' }), 'site', `1 to ${LIMITS.site} characters`],
  ['site too long', beacon({ site: 's'.repeat(LIMITS.site + 1) }), 'site', `1 to ${LIMITS.site} characters`],
  ['site with upper case', beacon({ site: 'Example.org' }), 'site', 'must match'],
  ['site starting with a dash', beacon({ site: '-example' }), 'site', 'must match'],
  ['site with a space', beacon({ site: 'exa mple' }), 'site', 'must match'],
  ['site that is a URL', beacon({ site: 'https://example.org' }), 'site', 'must match'],
  // --- unknown top-level fields ---
  ['top-level uid', beacon({ uid: 'abc' }), 'uid', 'is not a field of a v1 beacon'],
  ['top-level ip', beacon({ ip: '1.2.3.4' }), 'ip', 'is not a field'],
  ['top-level userAgent', beacon({ userAgent: 'Mozilla/5.0' }), 'userAgent', 'is not a field'],
  ['top-level __proto__', '{"v":1,"site":"a","__proto__":{"admin":true},"pages":[]}', '__proto__', 'is not a field'],
  ['top-level constructor', beacon({ constructor: { prototype: { x: 1 } } }), 'constructor', 'is not a field'],
  // --- tz, lang, screen ---
  ['tz null', beacon({ tz: null }), 'tz', 'must be a string'],
  ['tz without a region', beacon({ tz: 'Europe' }), 'tz', 'must match'],
  ['tz lower-case', beacon({ tz: 'europe/berlin' }), 'tz', 'must match'],
  ['tz as an offset', beacon({ tz: 'UTC+1' }), 'tz', 'must match'],
  ['tz empty', beacon({ tz: '' }), 'tz', '1 to 64 characters'],
  ['tz too long', beacon({ tz: `America/${'A'.repeat(60)}` }), 'tz', '1 to 64 characters'],
  ['lang with region', beacon({ lang: 'en-US' }), 'lang', '1 to 3 characters'],
  ['lang upper-case', beacon({ lang: 'EN' }), 'lang', 'must match'],
  ['lang one letter', beacon({ lang: 'e' }), 'lang', 'must match'],
  ['screen as a resolution', beacon({ screen: '1920x1080' }), 'screen', 'must be one of mobile, tablet, laptop, desktop'],
  ['screen null', beacon({ screen: null }), 'screen', 'must be one of'],
  ['screen as a number', beacon({ screen: 1920 }), 'screen', 'must be one of'],
  // --- record lists ---
  ['no records at all', beacon({ pages: undefined, events: undefined }), 'body', 'at least one page, event or consent record'],
  ['empty record lists', beacon({ pages: [], events: [] }), 'body', 'at least one page, event or consent record'],
  ['pages an object', beacon({ pages: PAGE }), 'pages', 'must be an array'],
  ['pages null', beacon({ pages: null }), 'pages', 'must be an array'],
  ['events a string', beacon({ events: 'Signup' }), 'events', 'must be an array'],
  ['too many page records', beacon({ pages: tooManyPages, events: undefined }), 'body', `at most ${LIMITS.records} records`],
  [
    'too many records, pages and events',
    beacon({ pages: tooManyPages.slice(0, half), events: Array(LIMITS.records + 1 - half).fill(EVENT) }),
    'body',
    `at most ${LIMITS.records} records`,
  ],
  // --- page records ---
  ['page record null', beacon({ pages: [null] }), 'pages[0]', 'must be an object'],
  ['page record a string', beacon({ pages: ['/pricing'] }), 'pages[0]', 'must be an object'],
  ['nested arrays', beacon({ pages: [[[PAGE]]] }), 'pages[0]', 'must be an object'],
  ['second page record bad', beacon({ pages: [PAGE, { ...PAGE, views: -1 }] }), 'pages[1].views', 'whole number from 0 to 15'],
  ['unknown page field uid', withPage({ uid: 'abc' }), 'pages[0].uid', 'is not a field'],
  ['unknown page field title', withPage({ title: 'Jane Doe - Profile' }), 'pages[0].title', 'is not a field'],
  ['page field __proto__', '{"v":1,"site":"a","pages":[{"path":"/","flags":0,"views":1,"seconds":0,"scroll":0,"__proto__":{"x":1}}]}', 'pages[0].__proto__', 'is not a field'],
  ['missing path', withPage({ path: undefined }), 'pages[0].path', 'must be a string'],
  ['path a number', withPage({ path: 42 }), 'pages[0].path', 'must be a string'],
  ['empty path', withPage({ path: '' }), 'pages[0].path', `1 to ${LIMITS.path} characters`],
  ['path not starting with /', withPage({ path: 'pricing' }), 'pages[0].path', 'must start with "/"'],
  ['path is a full URL', withPage({ path: 'https://example.org/pricing' }), 'pages[0].path', 'must start with "/"'],
  ['path too long', withPage({ path: `/${'p'.repeat(LIMITS.path)}` }), 'pages[0].path', `1 to ${LIMITS.path} characters`],
  ['path with an empty query parameter name', withPage({ path: '/a?=x' }), 'pages[0].path', 'query parameter 1: name must match'],
  ['path with a bad query parameter name', withPage({ path: '/a?page=2&e mail=x' }), 'pages[0].path', 'query parameter 2: name must match'],
  ['path with a trailing ?', withPage({ path: '/a?' }), 'pages[0].path', 'query parameter 1: name must match'],
  ['negative views', withPage({ views: -1 }), 'pages[0].views', 'whole number from 0 to 15'],
  ['float views', withPage({ views: 1.5 }), 'pages[0].views', 'whole number'],
  ['views over LIMITS.counted', withPage({ views: LIMITS.counted + 1 }), 'pages[0].views', 'whole number from 0 to 15'],
  ['huge views', withPage({ views: 1e21 }), 'pages[0].views', 'whole number'],
  ['views as a string', withPage({ views: '1' }), 'pages[0].views', 'whole number'],
  ['views null', withPage({ views: null }), 'pages[0].views', 'whole number'],
  ['views missing', withPage({ views: undefined }), 'pages[0].views', 'whole number'],
  ['seconds over a day', withPage({ seconds: LIMITS.seconds + 1 }), 'pages[0].seconds', 'whole number from 0 to 86400'],
  ['negative seconds', withPage({ seconds: -5 }), 'pages[0].seconds', 'whole number'],
  ['flags over 7', withPage({ flags: 8 }), 'pages[0].flags', 'whole number from 0 to 7'],
  ['negative flags', withPage({ flags: -1 }), 'pages[0].flags', 'whole number from 0 to 7'],
  ['flags missing', withPage({ flags: undefined }), 'pages[0].flags', 'whole number'],
  ['flags as an array', withPage({ flags: [1, 2] }), 'pages[0].flags', 'whole number'],
  ['scroll over 100 without views', withPage({ views: 0, seconds: 1, scroll: 101 }), 'pages[0].scroll', 'whole number from 0 to 100'],
  ['scroll over 100 * (views + 1)', withPage({ views: 1, scroll: 201 }), 'pages[0].scroll', 'whole number from 0 to 200'],
  ['empty record (all counts 0)', withPage({ views: 0, seconds: 0, scroll: 0 }), 'pages[0]', 'must count a view, seconds or scroll'],
  ['path with a NUL', withPage({ path: '/a\u0000b' }), 'pages[0].path', 'control characters'],
  ['path with a newline', withPage({ path: '/a\nSet-Cookie: x' }), 'pages[0].path', 'control characters'],
  ['path with a fragment', withPage({ path: '/pricing#plans' }), 'pages[0].path', 'fragment'],
  ['path with two question marks', withPage({ path: '/a?x=1?y=2' }), 'pages[0].path', 'at most one "?"'],
  ['ref upper-case', withPage({ ref: 'Google.com' }), 'pages[0].ref', 'must match'],
  ['ref a URL', withPage({ ref: 'https://google.com/' }), 'pages[0].ref', 'must match'],
  ['ref with an @', withPage({ ref: 'jo@x.org' }), 'pages[0].ref', 'must match'],
  ['ref empty', withPage({ ref: '' }), 'pages[0].ref', `1 to ${LIMITS.host} characters`],
  ['ref too long', withPage({ ref: 'a'.repeat(LIMITS.host + 1) }), 'pages[0].ref', `1 to ${LIMITS.host} characters`],
  ['ref null', withPage({ ref: null }), 'pages[0].ref', 'must be a string'],
  ['source empty', withPage({ source: '' }), 'pages[0].source', `1 to ${LIMITS.campaign} characters`],
  ['medium a number', withPage({ medium: 42 }), 'pages[0].medium', 'must be a string'],
  ['campaign too long', withPage({ campaign: 'c'.repeat(LIMITS.campaign + 1) }), 'pages[0].campaign', `1 to ${LIMITS.campaign} characters`],
  ['campaign an object', withPage({ campaign: { name: 'spring' } }), 'pages[0].campaign', 'must be a string'],
  // --- event records ---
  ['unknown event field user', withEvent({ user: 'jo' }), 'events[0].user', 'is not a field'],
  ['event field constructor', withEvent({ constructor: 'x' }), 'events[0].constructor', 'is not a field'],
  ['event name empty', withEvent({ name: '' }), 'events[0].name', `1 to ${LIMITS.eventName} characters`],
  ['event name too long', withEvent({ name: 'E'.repeat(LIMITS.eventName + 1) }), 'events[0].name', `1 to ${LIMITS.eventName} characters`],
  ['event name starting with a dash', withEvent({ name: '-start' }), 'events[0].name', 'must match'],
  ['event name with markup', withEvent({ name: 'Sign<up>' }), 'events[0].name', 'must match'],
  ['event name an e-mail', withEvent({ name: 'jo@x.org' }), 'events[0].name', 'must match'],
  ['event name with a newline', withEvent({ name: 'Sign\nup' }), 'events[0].name', 'control characters'],
  ['event name missing', withEvent({ name: undefined }), 'events[0].name', 'must be a string'],
  ['event count 0', withEvent({ count: 0 }), 'events[0].count', 'whole number from 1 to 15'],
  ['event count over LIMITS.counted', withEvent({ count: LIMITS.counted + 1 }), 'events[0].count', 'whole number from 1 to 15'],
  // One page adds at most LIMITS.counted views and events in one flush, and at most one view of each flag.
  [
    'views and events over LIMITS.counted together',
    beacon({ pages: [{ ...PAGE, views: 10, scroll: 0 }], events: [{ ...EVENT, count: 6 }] }),
    'body',
    'at most 15 page views and events together',
  ],
  [
    'views of several records over LIMITS.counted',
    beacon({ pages: Array.from({ length: 4 }, (_, i) => ({ ...PAGE, path: `/${i}`, flags: 0, views: 4, scroll: 0 })), events: undefined }),
    'body',
    'at most 15 page views',
  ],
  ['two page views starting a visit in one record', withPage({ flags: 1, views: 2 }), 'body', 'may start a visit (flag 1)'],
  [
    'two records starting a visit',
    beacon({
      pages: [
        { ...PAGE, flags: 1, views: 1 },
        { ...PAGE, path: '/b', flags: 1, views: 1 },
      ],
      events: undefined,
    }),
    'body',
    'may start a visit',
  ],
  [
    "two views each the visitor's first today",
    beacon({
      pages: [
        { ...PAGE, flags: 3, views: 1 },
        { ...PAGE, flags: 2, views: 1 },
      ],
      events: undefined,
    }),
    'body',
    "may be the visitor's first today (flag 2)",
  ],
  ["two views each the visitor's first this month", withPage({ flags: 4, views: 2 }), 'body', "may be the visitor's first this month (flag 4)"],
  [
    'two consent decisions',
    beacon({
      pages: undefined,
      events: undefined,
      consents: [
        { decision: 'accept-all', categories: {}, count: 1 },
        { decision: 'reject-all', categories: {}, count: 1 },
      ],
    }),
    'body',
    'at most 1 consent decision',
  ],
  [
    'a consent record counting 2 decisions',
    beacon({ pages: undefined, events: undefined, consents: [{ decision: 'accept-all', categories: {}, count: 2 }] }),
    'consents[0].count',
    'whole number from 1 to 1',
  ],
  ['event count a float', withEvent({ count: 0.5 }), 'events[0].count', 'whole number'],
  ['event path missing', withEvent({ path: undefined }), 'events[0].path', 'must be a string'],
  ['event path relative', withEvent({ path: 'join' }), 'events[0].path', 'must start with "/"'],
  ['props an array', withProps(['pro']), 'events[0].props', 'must be an object'],
  ['props null', withProps(null), 'events[0].props', 'must be an object'],
  ['props a string', withProps('plan=pro'), 'events[0].props', 'must be an object'],
  ['too many props', withProps({ a: '1', b: '2', c: '3', d: '4', e: '5' }), 'events[0].props', `at most ${LIMITS.props} keys`],
  ['prop key upper-case', withProps({ Plan: 'pro' }), 'events[0].props.Plan', 'key must match'],
  ['prop key starting with a digit', withProps({ '1plan': 'pro' }), 'events[0].props.1plan', 'key must match'],
  ['prop key with a dash', withProps({ 'the-plan': 'pro' }), 'events[0].props.the-plan', 'key must match'],
  ['prop key too long', withProps({ ['k'.repeat(LIMITS.propKey + 1)]: 'x' }), `events[0].props.${'k'.repeat(LIMITS.propKey + 1)}`, 'key must match'],
  ['prop key __proto__', '{"v":1,"site":"a","events":[{"name":"x","path":"/","count":1,"props":{"__proto__":"x"}}]}', 'events[0].props.__proto__', 'key must match'],
  ['prop key email', withProps({ email: 'pro' }), 'events[0].props.email', 'looks like personal data (key)'],
  ['prop key user_id', withProps({ user_id: '7' }), 'events[0].props.user_id', 'looks like personal data (key)'],
  ['prop value an e-mail', withProps({ plan: 'jo@x.org' }), 'events[0].props.plan', 'looks like personal data (email)'],
  ['prop value a UUID', withProps({ ref: '123e4567-e89b-12d3-a456-426614174000' }), 'events[0].props.ref', 'looks like personal data (uuid)'],
  ['prop value a phone number', withProps({ contact: '+1 555 123 4567' }), 'events[0].props.contact', 'looks like personal data (phone)'],
  ['prop value an IP', withProps({ host: '10.1.2.3' }), 'events[0].props.host', 'looks like personal data (ip)'],
  ['prop value empty', withProps({ plan: '' }), 'events[0].props.plan', `1 to ${LIMITS.propValue} characters`],
  ['prop value too long', withProps({ plan: 'p'.repeat(LIMITS.propValue + 1) }), 'events[0].props.plan', `1 to ${LIMITS.propValue} characters`],
  ['prop value a number', withProps({ size: 42 }), 'events[0].props.size', 'must be a string'],
  ['prop value null', withProps({ size: null }), 'events[0].props.size', 'must be a string'],
  ['prop value an array', withProps({ size: ['l'] }), 'events[0].props.size', 'must be a string'],
  ['prop value a nested object', withProps({ size: { w: 1 } }), 'events[0].props.size', 'must be a string'],
]

describe('parseBeacon: malformed and hostile bodies', () => {
  it.each(badCases)('%s', (_name, body, field, rule) => {
    const error = errorOf(parseBeacon(body))
    expect(error.field).toBe(field)
    expect(error.rule).toContain(rule)
    expect(error.message).toContain(field)
  })

  it('refuses a body over LIMITS.beaconBytes with 413 and every other broken rule with 400', () => {
    for (const [name, body] of badCases) {
      const parsed = parseBeacon(body)
      expect(parsed.ok || parsed.status, name).toBe(name.startsWith('body over LIMITS.beaconBytes') ? 413 : 400)
    }
  })

  it('has a large table', () => {
    expect(badCases.length).toBeGreaterThanOrEqual(50)
  })

  it('does not pollute Object.prototype', () => {
    for (const [, body] of badCases) parseBeacon(body)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('clips the offending value in the message', () => {
    const { message } = errorOf(parseBeacon(withPage({ path: 'x'.repeat(150) })))
    expect(message).toContain('...')
    expect(message.length).toBeLessThan(150)
  })
})

describe('parseBeacon: paths, campaigns and props are scrubbed again', () => {
  const scrubbed: [name: string, path: string, expected: string][] = [
    ['e-mail in the path', '/user/jo@x.org', '/user/[email]'],
    ['encoded e-mail in the path', '/user/jo%40x.org', '/user/[email]'],
    ['doubly encoded e-mail in the path', '/user/jo%2540x.org/edit', '/user/[email]/edit'],
    ['e-mail as a query value', '/list?page=jo@x.org', '/list?page=[email]'],
    ['encoded e-mail as a query value', '/list?page=jo%40x.org', '/list?page=[email]'],
    ['e-mail as the second query value', '/list?page=2&sort=jo@x.org', '/list?page=2&sort=[email]'],
    ['digit run in the path', '/orders/123456', '/orders/[number]'],
    ['UUID and token', '/o/123e4567-e89b-12d3-a456-426614174000/a1b2c3d4e5f6g7h8', '/o/[uuid]/[token]'],
    ['matrix parameter', '/cart;jsessionid=ABC/checkout', '/cart/checkout'],
    ['hash route', '/#/user/jo@x.org', '/#/user/[email]'],
    ['harmless path unchanged', '/blog/2026-11-23/title?page=2', '/blog/2026-11-23/title?page=2'],
  ]

  it.each(scrubbed)('page record: %s', (_name, path, expected) => {
    expect(beaconOf(parseBeacon(withPage({ path }))).pages?.[0]?.path).toBe(expected)
  })

  it.each(scrubbed)('event record: %s', (_name, path, expected) => {
    expect(beaconOf(parseBeacon(withEvent({ path }))).events?.[0]?.path).toBe(expected)
  })

  it('scrubs campaign fields', () => {
    const page = beaconOf(parseBeacon(withPage({ source: 'jo@x.org', medium: '+1 555 123 4567', campaign: 'spring-12345' }))).pages?.[0]
    expect(page).toMatchObject({ source: '[email]', medium: '[phone]', campaign: '[number]' })
  })

  // BUG: same root cause as in scrub-url.test.ts: the stray "%" makes decoding fail, so the
  // doubly encoded "@" is never seen and the e-mail is stored.
  it('scrubs a doubly encoded e-mail next to a malformed escape', () => {
    expect(beaconOf(parseBeacon(withPage({ path: '/user/jo%2540x.org%' }))).pages?.[0]?.path).toBe('/user/[email]')
  })

  // BUG: the tracker turns an IP referrer into "[ip]", but the collector does not apply that
  // rule again: a hand-made (or older) beacon stores the IP address as the referrer.
  it('does not store a literal IP address as the referrer', () => {
    const parsed = parseBeacon(withPage({ ref: '192.168.0.1' }))
    expect(parsed.ok ? parsed.beacon.pages?.[0]?.ref : undefined).not.toBe('192.168.0.1')
  })

  // BUG: event names are checked for shape only, never against the personal-data rules (in the
  // tracker nor here), and EVENT_NAME admits digit runs, phone numbers, IPs and UUIDs.
  it('refuses an event name that carries an identifier', () => {
    expect(errorOf(parseBeacon(withEvent({ name: 'Order 123456789' }))).field).toBe('events[0].name')
  })
})

describe('parseBeacon accepts what scrubUrl produces', () => {
  it('for the usual cases', () => {
    for (const href of ['https://a.org/list?page=jo@x.org&utm_source=x', 'https://a.org/#/r/12345?x=1', `https://a.org/${'x'.repeat(300)}?page=2`]) {
      const { path, ...campaign } = scrubUrl(href, ['utm_source', 'page'], true)
      expect(parseBeacon(withPage({ path, ...campaign })).ok).toBe(true)
    }
  })

  it('for any URL, with hash routing and query parameters (property)', () => {
    const segment = fc.string({ unit: 'binary', maxLength: 12 })
    const href = fc
      .tuple(
        fc.array(segment, { maxLength: 5 }),
        fc.array(fc.tuple(fc.constantFrom('page', 'sort', 'utm_source', 'x'), segment), { maxLength: 4 }),
        fc.array(segment, { maxLength: 3 }),
      )
      .map(([path, query, hash]) => `https://a.org/${path.join('/')}?${new URLSearchParams(query)}#/${hash.join('#')}`)
    fc.assert(
      fc.property(href, fc.boolean(), (url, hashRouting) => {
        const { path, ...campaign } = scrubUrl(url, ['utm_source', 'page', 'sort'], hashRouting)
        const parsed = parseBeacon(withPage({ path, ...campaign }))
        expect(parsed.ok ? 'ok' : parsed.error.message).toBe('ok')
      }),
      { numRuns: 500, seed: 20261124 },
    )
  })

  // BUG: scrubUrl clips path + query to LIMITS.path, which can leave a dangling "?" or "&";
  // the collector then refuses the whole beacon (every record in it) over an empty parameter name.
  it('when an allowlisted query is clipped at LIMITS.path', () => {
    for (const length of [198, 191]) {
      const { path } = scrubUrl(`https://a.org/${'x'.repeat(length)}?page=2&sort=new`, ['page', 'sort'])
      expect(parseBeacon(withPage({ path })).ok).toBe(true)
    }
  })
})

describe('parseBeacon: the record limit keeps the worst-case beacon inside LIMITS.beaconBytes', () => {
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length

  // Worst characters per field, as the tracker can produce them:
  // - path: URL pathnames are percent-encoded ASCII without '"' or '\'; a `#/route` (hash routing)
  //   may hold '\', which JSON escapes to 2 bytes. The path is built through scrubUrl to prove it.
  // - campaign fields: what a URL's query decodes to, control characters dropped (the collector
  //   refuses them): a 3-byte UTF-8 character (`€`) is the most per UTF-16 code unit.
  // - prop values: any string the page passes; a lone surrogate JSON-escapes to 6 bytes, the most
  //   per code unit (control characters, also 6, are refused by the collector's gate).
  // - ref, site, tz, lang, event name, prop keys: closed ASCII shapes that JSON never escapes.
  const path = scrubUrl(`https://a.org/#/${'\\'.repeat(LIMITS.path * 2)}`, [], true).path
  const campaignFromUrl = scrubUrl(`https://a.org/?utm_campaign=${'%01%E2%82%AC'.repeat(LIMITS.campaign * 2)}`).campaign ?? ''
  const control = '\ud800'.repeat(LIMITS.propValue)
  const page: PageRecord = {
    path,
    ref: `${'a'.repeat(63)}.`.repeat(3) + 'b'.repeat(61),
    source: campaignFromUrl,
    medium: campaignFromUrl,
    campaign: campaignFromUrl,
    // Counts of one digit: a beacon counts at most LIMITS.counted views and events, one per record here.
    flags: 0,
    views: 1,
    seconds: LIMITS.seconds,
    scroll: 200,
  }
  const props = Object.fromEntries(['a', 'b', 'c', 'd'].slice(0, LIMITS.props).map((c) => [c.repeat(LIMITS.propKey), control]))
  const event: EventRecord = { name: 'Z'.repeat(LIMITS.eventName), path, props, count: 1 }
  const envelope = { v: 1 as const, site: 's'.repeat(LIMITS.site), tz: `A${'b'.repeat(30)}/${'c'.repeat(32)}`, lang: 'abc', screen: 'desktop' as const }

  it('builds each field at its maximum', () => {
    expect(path.length).toBe(LIMITS.path)
    expect(JSON.stringify(path).length - 2).toBe(2 * LIMITS.path - 3) // all but "/#/" escaped
    expect(campaignFromUrl).toBe('€'.repeat(LIMITS.campaign))
    expect(bytes(campaignFromUrl) - 2).toBe(3 * LIMITS.campaign)
    expect(JSON.stringify(control).length - 2).toBe(6 * LIMITS.propValue)
    expect(page.ref?.length).toBe(LIMITS.host)
    expect(envelope.tz.length).toBe(64)
    // the worst page and event records are valid
    expect(parseBeacon(JSON.stringify({ ...envelope, pages: [page], events: [event] })).ok).toBe(true)
  })

  it('tracker paths never JSON-escape to more than 2 bytes per character', () => {
    let all = ''
    for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c)
    for (const href of [`https://a.org/${all}#/${all}`, `https://a.org/#/${all}é€😀${all.split('').reverse().join('')}`]) {
      const p = scrubUrl(href, [], true).path
      expect(bytes(p) - 2).toBeLessThanOrEqual(2 * p.length)
    }
  })

  it.each(Array.from({ length: LIMITS.records + 1 }, (_, pages) => pages))('%i page records + the rest events', (pages) => {
    const worst: Beacon = { ...envelope, pages: Array(pages).fill(page), events: Array(LIMITS.records - pages).fill(event) }
    const size = bytes(worst)
    expect(size).toBeLessThanOrEqual(LIMITS.beaconBytes)
    expect(beaconOf(parseBeacon(JSON.stringify(worst))).pages ?? []).toHaveLength(pages)
  })

  it('records the margin (all event records is the worst mix)', () => {
    const worst = { ...envelope, events: Array(LIMITS.records).fill(event) }
    expect(bytes(page)).toBe(1333)
    expect(bytes(event)).toBe(2134)
    expect(bytes(worst)).toBe(32_257)
    expect(LIMITS.beaconBytes - bytes(worst)).toBe(511)
  })
})
