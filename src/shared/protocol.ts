/**
 * The beacon protocol, version 1: what the tracker sends and the collector accepts.
 *
 * A beacon carries *aggregated* records: the tracker merges identical records before sending,
 * so a beacon says "3 page views of /pricing from duckduckgo.com", never "this person did X".
 * No field can hold an identifier: every string field has a closed shape (a scrubbed path, a
 * host, a short campaign word) and every number is a bounded count. docs/protocol.md is the
 * reference; the limits below are imported by the tracker and by the collector alike, so the
 * two cannot drift apart.
 */

export const PROTOCOL_VERSION = 1

/** Hard limits of a v1 beacon. A beacon outside them is refused whole by the collector. */
export const LIMITS = {
  /** UTF-8 bytes of one beacon body; well under the 64 KB that sendBeacon allows in flight. */
  beaconBytes: 32_768,
  /**
   * Page records plus event records in one beacon. Small enough that a beacon of worst-case
   * records (every string at its limit, every character escaped) stays under `beaconBytes`,
   * which a test checks. The tracker never holds more: it sends after `counted` additions.
   */
  records: 15,
  /** Characters of a scrubbed path, allowed query string included. */
  path: 200,
  /** Characters of a host name (RFC 1035 allows 253). */
  host: 253,
  /** Characters of a site id. */
  site: 100,
  /** Characters of each campaign field (source, medium, campaign). */
  campaign: 64,
  /** Characters of an event name. */
  eventName: 40,
  /** Properties on one event. */
  props: 4,
  /** Characters of a property key. */
  propKey: 24,
  /** Characters of a property value. */
  propValue: 64,
  /**
   * Page views plus event occurrences in one beacon (and so in one record): what one page adds
   * in one flush, since the tracker sends as soon as it has added this many (or after a second).
   * A higher count could only come from a forged beacon, and would inflate the counts cheaply.
   */
  counted: 15,
  /**
   * Page views in one beacon that start a visit, that are the visitor's first today, or first
   * this month (each FLAG bit): only the page the browser loaded starts a visit, and the
   * last-visit cookie marks one view a day and a month, so one page load adds at most one each.
   */
  flagged: 1,
  /** Consent decisions in one beacon: the consent manager sends each on its own. */
  decisions: 1,
  /** Optional consent categories in one consent record. */
  categories: 8,
  /** Visible seconds summed in one record: one day. */
  seconds: 86_400,
} as const

/** Bits of `PageRecord.flags`. */
export const FLAG = {
  /** The page view starts a visit: reached from outside the site, not a reload or back/forward. */
  entry: 1,
  /** The visitor's first page view today (their local day), known from the last-visit cookie. */
  newToday: 2,
  /** The visitor's first page view this calendar month. */
  newThisMonth: 4,
} as const
export const FLAGS_MAX = 7

/** Window width classes (CSS pixels), coarse on purpose: a class, never a resolution. */
export const SCREEN_CLASSES = ['mobile', 'tablet', 'laptop', 'desktop'] as const
export type ScreenClass = (typeof SCREEN_CLASSES)[number]
/** The class of a window (or a screen) `width` CSS pixels wide: tablet from 576, laptop from 992, desktop from 1440. */
export const screenClass = (width: number): ScreenClass => SCREEN_CLASSES[+(width >= 576) + +(width >= 992) + +(width >= 1440)]!

export interface PageRecord {
  /** Scrubbed path, with allowlisted query parameters (never utm_*: those are split out below). */
  path: string
  /** Host of an external referrer, `www.` dropped; absent for direct and internal traffic. */
  ref?: string
  /** Campaign, from utm_source (or ref), utm_medium and utm_campaign. */
  source?: string
  medium?: string
  campaign?: string
  /** Bit set of FLAG values; part of the record's identity. */
  flags: number
  /** Page views. 0 in a record that only reports engagement of views sent earlier. */
  views: number
  /**
   * Visible seconds, summed. Engagement is reported in increments (when the page is hidden,
   * left or closed), so the average per view is the sum divided by the views of the same tuple.
   */
  seconds: number
  /** Increase of the maximum scroll depth, in percent, summed like `seconds`. */
  scroll: number
}

export interface EventRecord {
  /** Event name: letters, digits, space and `_ . : / -`. */
  name: string
  /** Scrubbed path of the page where the event happened. */
  path: string
  /** A few short, low-cardinality strings, checked against the personal-data rules. */
  props?: Record<string, string>
  count: number
}

/** What a visitor did with the consent banner: a kind of decision, never a record of a person. */
export const CONSENT_DECISIONS = ['accept-all', 'reject-all', 'custom'] as const
export type ConsentDecision = (typeof CONSENT_DECISIONS)[number]

export interface ConsentRecord {
  decision: ConsentDecision
  /** Each optional category offered, granted or not (`necessary` is never listed). */
  categories: Record<string, boolean>
  count: number
}

export interface Beacon {
  v: typeof PROTOCOL_VERSION
  /** Site id as registered with the collector. */
  site: string
  /** IANA time zone of the browser; the collector maps it to a country and drops it. */
  tz?: string
  /** Primary language subtag of the browser, e.g. `es`. */
  lang?: string
  screen?: ScreenClass
  pages?: PageRecord[]
  events?: EventRecord[]
  /** Consent decisions, counted when the site opts in to consent counts; no page data with them. */
  consents?: ConsentRecord[]
}

// Shapes of the string fields, shared by the tracker's checks and the collector's validation.
// Separate constants rather than one object, so a bundle carries only the ones it uses.
export const SITE_ID = /^[a-z0-9](?:[a-z0-9.-]{0,98}[a-z0-9])?$/
export const HOST = /^(?:\[ip\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)$/
export const TIME_ZONE = /^(?:UTC|[A-Z][A-Za-z_-]+(?:\/[A-Za-z0-9_+-]+){1,2})$/
export const LANGUAGE = /^[a-z]{2,3}$/
export const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,39}$/
export const PROP_KEY = /^[a-z][a-z0-9_]{0,23}$/
export const PARAM_NAME = /^[A-Za-z0-9_.-]{1,40}$/
export const CATEGORY = /^[a-z][a-z0-9_-]{0,23}$/
