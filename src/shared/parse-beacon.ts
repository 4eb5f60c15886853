import type { DimensionName } from './dimensions.js'
import { gate } from './gate.js'
import { eventProblem, personalProp, propValueFits, refuseEventName } from './personal-data.js'
import {
  type Beacon,
  CONSENT_DECISIONS,
  type ConsentRecord,
  type EventRecord,
  FLAG,
  FLAGS_MAX,
  HOST,
  LANGUAGE,
  LIMITS,
  type PageRecord,
  PROP_KEY,
  PROTOCOL_VERSION,
  SCREEN_CLASSES,
  SITE_ID,
  TIME_ZONE,
} from './protocol.js'

export interface BeaconError {
  /** Where the problem is, as a path into the body: `pages[2].path`. */
  field: string
  /** The rule that was broken, in a few words. */
  rule: string
  /** Both, with the offending value, for the response and the developer console. */
  message: string
}

/**
 * The HTTP status of a refused beacon, set where the rule is broken: 413 for a body over
 * LIMITS.beaconBytes, 400 for any other rule.
 */
export type BeaconStatus = 400 | 413

export type ParsedBeacon = { ok: true; beacon: Beacon } | { ok: false; error: BeaconError; status: BeaconStatus }

/** Thrown inside the parser and turned into a BeaconError and its status at its edge. */
class Invalid extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    value?: unknown,
    readonly status: BeaconStatus = 400,
  ) {
    super(`${field}: ${rule}${value === undefined ? '' : ` (got ${preview(value)})`}`)
  }
}

function preview(value: unknown): string {
  const text = shortJson(value, 3)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/**
 * JSON of a value for an error message, at most `depth` levels and a few entries per level: a
 * body nested thousands of levels deep (well under the size limit) would overflow the stack of
 * JSON.stringify, and a message needs only its start.
 */
function shortJson(value: unknown, depth: number): string {
  if (typeof value !== 'object' || value === null) return String(JSON.stringify(value) ?? value)
  const open = Array.isArray(value) ? '[' : '{'
  const close = Array.isArray(value) ? ']' : '}'
  if (depth === 0) return `${open}...${close}`
  const entries = Object.entries(value)
  const shown = entries.slice(0, 4).map(([key, inner]) => (Array.isArray(value) ? '' : `${JSON.stringify(key)}:`) + shortJson(inner, depth - 1))
  return open + shown.join(',') + (entries.length > 4 ? ',...' : '') + close
}

/** A key as part of a field's name in a message: a key can be as long as the body. */
const keyName = (key: string) => (key.length > 40 ? `${key.slice(0, 37)}...` : key)

type Json = Record<string, unknown>

function object(value: unknown, field: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(field, 'must be an object', value)
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Invalid(`${field ? `${field}.` : ''}${keyName(key)}`, `is not a field of a v${PROTOCOL_VERSION} beacon (allowed: ${allowed.join(', ')})`)
  }
  return value as Json
}

function text(value: unknown, field: string, max: number, shape?: RegExp): string {
  if (typeof value !== 'string') throw new Invalid(field, 'must be a string', value)
  if (value.length === 0 || value.length > max) throw new Invalid(field, `must be 1 to ${max} characters`, value)
  if (shape && !shape.test(value)) throw new Invalid(field, `must match ${shape}`, value)
  return value
}

function count(value: unknown, field: string, max: number, min = 0): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new Invalid(field, `must be a whole number from ${min} to ${max}`, value)
  }
  return value as number
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new Invalid(field, 'must be an array', value)
  return value
}

/** A value through the gate (gate.ts) as the dimension it is stored as: scrubbed, or refused with the gate's rule. */
function stored(dimension: DimensionName, value: string, field: string): string {
  const out = gate(dimension, value)
  if (typeof out !== 'string') throw new Invalid(field, out.refused, value)
  return out
}

/** A path as the tracker sends it (`/a/b?key=value&…`), scrubbed again. */
function path(value: unknown, field: string): string {
  return stored('path', text(value, field, LIMITS.path), field)
}

const PAGE_FIELDS = ['path', 'ref', 'source', 'medium', 'campaign', 'flags', 'views', 'seconds', 'scroll'] as const

function page(value: unknown, field: string): PageRecord {
  const o = object(value, field, PAGE_FIELDS)
  const record: PageRecord = {
    path: path(o.path, `${field}.path`),
    flags: count(o.flags, `${field}.flags`, FLAGS_MAX),
    views: count(o.views, `${field}.views`, LIMITS.counted),
    seconds: count(o.seconds, `${field}.seconds`, LIMITS.seconds),
    scroll: 0,
  }
  // Scroll increments of one view add up to at most 100; a record can also carry the last
  // increments of the view that was current when the previous beacon left.
  record.scroll = count(o.scroll, `${field}.scroll`, 100 * (record.views + 1))
  if (record.views + record.seconds + record.scroll === 0) throw new Invalid(field, 'must count a view, seconds or scroll')
  const ref = o.ref === undefined ? '' : stored('referrer', text(o.ref, `${field}.ref`, LIMITS.host, HOST), `${field}.ref`)
  if (ref) record.ref = ref
  for (const key of ['source', 'medium', 'campaign'] as const) {
    if (o[key] !== undefined) record[key] = stored(key, text(o[key], `${field}.${key}`, LIMITS.campaign), `${field}.${key}`)
  }
  return record
}

/** The props of an event as sent: an object of strings (their rules are eventProblem's). */
function props(value: unknown, field: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(field, 'must be an object', value)
  // fromEntries, not assignment: a key `__proto__` stays a key (and is refused), not a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, text]) => {
      if (typeof text !== 'string') throw new Invalid(`${field}.${keyName(key)}`, 'must be a string', text)
      return [key, text]
    }),
  )
}

/**
 * An event's first broken rule (`why`, from eventProblem) in the collector's words: the field at
 * fault, found as eventProblem finds it (the name, the number of props, then the first prop that
 * personalProp refuses), and the rule as it reads after it (the console's words where they read so).
 */
function eventInvalid(why: string, field: string, name: string, sent: Record<string, string>): Invalid {
  // The gate refused a bad name before (stored): the console's words would be the only ones left.
  if (refuseEventName(name)) return new Invalid(`${field}.name`, why)
  const keys = Object.keys(sent)
  if (keys.length > LIMITS.props) return new Invalid(`${field}.props`, `must have at most ${LIMITS.props} keys`, keys)
  const key = keys.find((k) => personalProp(k, sent[k]!))!
  const where = `${field}.props.${keyName(key)}`
  if (!PROP_KEY.test(key)) return new Invalid(where, `key must match ${PROP_KEY}`)
  return new Invalid(where, propValueFits(sent[key]!) ? why : `must be 1 to ${LIMITS.propValue} characters`, sent[key])
}

function event(value: unknown, field: string): EventRecord {
  const o = object(value, field, ['name', 'path', 'props', 'count'])
  const record: EventRecord = {
    name: stored('name', text(o.name, `${field}.name`, LIMITS.eventName), `${field}.name`),
    path: path(o.path, `${field}.path`),
    count: count(o.count, `${field}.count`, LIMITS.counted, 1),
  }
  const sent = o.props === undefined ? {} : props(o.props, `${field}.props`)
  const why = eventProblem(record.name, sent)
  if (why) throw eventInvalid(why, field, record.name, sent)
  if (o.props === undefined) return record
  // What is stored of each prop passes the gate as every value does (well-formed, no control character).
  record.props = {}
  for (const [key, val] of Object.entries(sent)) {
    const pair = gate('prop', `${key}=${val}`)
    if (typeof pair !== 'string') throw new Invalid(`${field}.props.${keyName(key)}`, pair.refused, val)
    record.props[key] = pair.slice(key.length + 1)
  }
  return record
}

function consent(value: unknown, field: string): ConsentRecord {
  const o = object(value, field, ['decision', 'categories', 'count'])
  if (!CONSENT_DECISIONS.includes(o.decision as never)) throw new Invalid(`${field}.decision`, `must be one of ${CONSENT_DECISIONS.join(', ')}`, o.decision)
  const categories = o.categories
  if (typeof categories !== 'object' || categories === null || Array.isArray(categories)) throw new Invalid(`${field}.categories`, 'must be an object', categories)
  const entries = Object.entries(categories)
  if (entries.length > LIMITS.categories) throw new Invalid(`${field}.categories`, `must have at most ${LIMITS.categories} keys`, Object.keys(categories))
  const record: ConsentRecord = { decision: o.decision as ConsentRecord['decision'], categories: {}, count: count(o.count, `${field}.count`, LIMITS.decisions, LIMITS.decisions) }
  for (const [key, granted] of entries) {
    const where = `${field}.categories.${keyName(key)}`
    if (typeof granted !== 'boolean') throw new Invalid(where, 'must be true or false', granted)
    // Stored as `key:granted` or `key:refused`: the gate's category rule (shape, not "necessary", not personal).
    const kept = gate('category', `${key}:${granted ? 'granted' : 'refused'}`)
    if (typeof kept !== 'string') throw new Invalid(where, kept.refused, key)
    record.categories[key] = granted
  }
  return record
}

const FLAG_WORDS: [bit: number, what: string][] = [
  [FLAG.entry, 'start a visit (flag 1)'],
  [FLAG.newToday, "be the visitor's first today (flag 2)"],
  [FLAG.newThisMonth, "be the visitor's first this month (flag 4)"],
]

/** The caps of a whole beacon: at most what one page adds in one flush (LIMITS.counted, flagged, decisions). */
function capped(beacon: Beacon) {
  const pages = beacon.pages ?? []
  const counted = pages.reduce((n, p) => n + p.views, 0) + (beacon.events ?? []).reduce((n, e) => n + e.count, 0)
  if (counted > LIMITS.counted) throw new Invalid('body', `must count at most ${LIMITS.counted} page views and events together (what one page adds in one flush)`, counted)
  for (const [bit, what] of FLAG_WORDS) {
    const views = pages.reduce((n, p) => n + (p.flags & bit ? p.views : 0), 0)
    if (views > LIMITS.flagged) throw new Invalid('body', `at most ${LIMITS.flagged} page view of a beacon may ${what}`, views)
  }
  const decisions = (beacon.consents ?? []).reduce((n, c) => n + c.count, 0)
  if (decisions > LIMITS.decisions) throw new Invalid('body', `must hold at most ${LIMITS.decisions} consent decision`, decisions)
}

/**
 * Validates a beacon body strictly against the v1 limits and returns it as typed, re-scrubbed
 * data, or the first problem found and the HTTP status to refuse it with. Unknown fields are
 * refused: a field this version does not define could carry an identifier.
 *
 * @example
 * const parsed = parseBeacon(await request.text())
 * if (!parsed.ok) return Response.json(parsed.error, { status: parsed.status })
 */
export function parseBeacon(body: string): ParsedBeacon {
  try {
    const bytes = new TextEncoder().encode(body).length
    if (bytes > LIMITS.beaconBytes) throw new Invalid('body', `must be at most ${LIMITS.beaconBytes} bytes`, bytes, 413)
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      throw new Invalid('body', 'must be JSON', body)
    }
    const o = object(json, '', ['v', 'site', 'tz', 'lang', 'screen', 'pages', 'events', 'consents'])
    if (o.v !== PROTOCOL_VERSION) throw new Invalid('v', `must be ${PROTOCOL_VERSION}`, o.v)
    const beacon: Beacon = { v: PROTOCOL_VERSION, site: text(o.site, 'site', LIMITS.site, SITE_ID) }
    if (o.tz !== undefined) beacon.tz = text(o.tz, 'tz', 64, TIME_ZONE)
    if (o.lang !== undefined) beacon.lang = text(o.lang, 'lang', 3, LANGUAGE)
    if (o.screen !== undefined) {
      if (!SCREEN_CLASSES.includes(o.screen as never)) throw new Invalid('screen', `must be one of ${SCREEN_CLASSES.join(', ')}`, o.screen)
      beacon.screen = o.screen as Beacon['screen']
    }
    const pages = o.pages === undefined ? [] : list(o.pages, 'pages')
    const events = o.events === undefined ? [] : list(o.events, 'events')
    const consents = o.consents === undefined ? [] : list(o.consents, 'consents')
    const records = pages.length + events.length + consents.length
    if (records === 0) throw new Invalid('body', 'must hold at least one page, event or consent record')
    if (records > LIMITS.records) throw new Invalid('body', `must hold at most ${LIMITS.records} records`, records)
    if (pages.length) beacon.pages = pages.map((p, i) => page(p, `pages[${i}]`))
    if (events.length) beacon.events = events.map((e, i) => event(e, `events[${i}]`))
    if (consents.length) beacon.consents = consents.map((c, i) => consent(c, `consents[${i}]`))
    capped(beacon)
    return { ok: true, beacon }
  } catch (error) {
    if (!(error instanceof Invalid)) throw error
    return { ok: false, error: { field: error.field, rule: error.rule, message: error.message }, status: error.status }
  }
}
