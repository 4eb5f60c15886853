import { createHash } from 'node:crypto'
import { type ScreenClass, screenClass } from '../../../shared/protocol.js'
import { type Contribution, type ExportTable, page, referrerOf } from '../../imports/export-table.js'
import { type Client, describeClient } from '../../ingest/enrich.js'

/**
 * GoatCounter's CSV export, format version 2 (Settings → Export; GoatCounter's docs/export.md):
 * one line per page view or event, with the instant it was counted. Unlike Plausible's daily
 * sums, the lines are counted here as the collector counts beacons: each in the site-local day
 * of its hour, a visit once per session and day, on the page it started on. docs/import.md lists,
 * column by column, what is kept, derived or dropped.
 *
 * The UserAgent and Session columns are read only to derive coarse classes (browser, OS, device)
 * and to count visits; neither value, nor anything made from it alone, reaches a row.
 */

/** The header's first column: the path, prefixed with the format version (GoatCounter's ExportVersion). */
const PATH = '2Path'

/** Go's strconv.ParseBool spellings, which GoatCounter's own import accepts for Event and FirstVisit. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const BOOLEAN = new Set([...TRUE, '0', 'f', 'F', 'FALSE', 'false', 'False'])

/**
 * GoatCounter's Bot column holds an isbot result (zgo.at/isbot): 0 (known not to be a bot) and 1
 * (no rule matched, "probably not a bot") are people, as isbot.Is() says; 2 and up are bots.
 */
const BOT = /^\d{1,3}$/
const isBot = (code: string) => Number(code) > 1

/** GoatCounter's referrer schemes: h an HTTP URL, o another URL (android-app://…), g a name it generated ("Hacker News"), c a campaign parameter. */
const SCHEMES = ['', 'h', 'o', 'g', 'c']

const LOCATION = /^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?)?$/
const SIZE = /^(?:\d{1,6}(?:\.\d+)?(?:,\d{1,6}(?:\.\d+)?)*)?$/

/**
 * GoatCounter's browser names (zgo.at/gadget) where ua-parser-js, which names QuietCount's, says
 * otherwise; Safari on iOS is `Mobile Safari` there (see clientOf).
 */
export const GOATCOUNTER_BROWSERS: Record<string, string> = { 'Internet Explorer': 'IE' }
/** The same for systems; longer names first, so that `Windows Phone` is not read as `Windows`. */
export const GOATCOUNTER_SYSTEMS: [string, string][] = [
  ['Windows Phone', 'Windows Phone'],
  ['Windows', 'Windows'],
  ['macOS', 'Mac OS'],
  ['iOS', 'iOS'],
  ['Android', 'Android'],
  ['Linux', 'Linux'],
  ['Chrome OS', 'Chromium OS'],
  ['DragonFly BSD', 'DragonFly'],
  ['FreeBSD', 'FreeBSD'],
  ['OpenBSD', 'OpenBSD'],
  ['NetBSD', 'NetBSD'],
  ['SunOS', 'Solaris'],
  ['Tizen', 'Tizen'],
  ['PlayStation', 'PlayStation'],
]
/**
 * "Firefox 133" → Firefox, 133; "Safari 17.4" → Safari, 17; "Chrome " (no version) → Chrome, ''. A
 * name GoatCounter did not map (its parser falls back to the user agent's first product) is free
 * text of the export: the gate keeps it only in a plain short shape, as it does the collector's.
 */
function nameAndMajor(text: string): { name: string; major: string } {
  const match = /^(.*?)(?: (\d[\w.]*))?\s*$/.exec(text)!
  return { name: match[1]!.trim(), major: /^\d+/.exec(match[2] ?? '')?.[0] ?? '' }
}

function systemOf(text: string): string {
  const known = GOATCOUNTER_SYSTEMS.find(([name]) => text === name || text.startsWith(`${name} `))
  if (known) return known[1]
  return nameAndMajor(text).name || 'Unknown'
}

/** The tracker's screen class of a width in CSS pixels, '' when unknown (0: GoatCounter had none). */
export function screenClassOf(width: number): ScreenClass | '' {
  return width > 0 ? screenClass(width) : ''
}

/**
 * Browser, version, OS and device of a line, or null for a bot: from the user agent when the line
 * has one, through the collector's own describeClient (same parser, same names, same bot test);
 * else from GoatCounter's parsed Browser and System, with the device from the screen class, as
 * for Plausible's screen-width devices (a laptop is a desktop).
 */
function clientOf(t: Record<string, string>, screen: ScreenClass | ''): Client | null {
  if (t.UserAgent) return describeAgent(t.UserAgent)
  const os = t.System ? systemOf(t.System) : 'Unknown'
  const { name, major } = nameAndMajor(t.Browser!)
  const browser = name === 'Safari' && os === 'iOS' ? 'Mobile Safari' : (GOATCOUNTER_BROWSERS[name] ?? (name || 'Unknown'))
  return { browser, browser_version: major, os, device: screen === 'laptop' ? 'desktop' : screen }
}

/**
 * describeClient of a user agent alone. One Headers object, reset for each line: building one a
 * line cost more than the parse, which describeClient caches per user agent.
 */
const agentHeaders = new Headers()
function describeAgent(agent: string): Client | null {
  agentHeaders.set('user-agent', agent)
  return describeClient(agentHeaders)
}

/** A Screen size ("1920,1080,1", or "390,0,1" from newer GoatCounters that keep only the width) as a screen class. */
const screenOf = (size: string) => screenClassOf(Number(size.split(',')[0] || 0))

/**
 * Referrer host and campaign source. A URL (h, o, or no scheme from older exports) gives its host,
 * as the collector keeps a referrer. A campaign (c) is the value of utm_source, ref, src or source,
 * which is what the tracker puts in `source`. A generated name (g: "Hacker News", "Email") stands
 * for a group of hosts, so it names no host: it is kept as the source, and the view counts with
 * no referrer host.
 */
function originOf(ref: string, scheme: string): { referrer: string; source: string } {
  if (scheme === 'g' || scheme === 'c') return { referrer: '', source: ref }
  return { referrer: referrerOf(ref), source: '' }
}

/** A session value that joins no other line: none, or GoatCounter's zero for page views counted before it had sessions. */
const noSession = (session: string) => /^[0-]*$/.test(session)

/**
 * What the import remembers while it reads: the sessions already counted on the latest site-local
 * days, to count one visit per session and day. GoatCounter writes its lines in the order it
 * stored them, which is the order they came in up to the seconds its memory store waits, so a
 * line is at most a day behind the newest one read: two days are held, each set dropped once two
 * later days have begun. A line of an older day (an export GoatCounter was itself fed out of
 * order) has lost its day's sessions: it counts as a visit of its own, and `late` says how many did.
 * Only the sets are held, never written. They are bounded, so that no export takes the import's
 * memory: a session is held in at most SESSION_KEY characters (a longer one by a hash of it), and
 * a day holds at most SESSIONS_PER_DAY; past that, a new session's views count as visits of their
 * own, and `crowded` says how many did.
 */
export interface Sessions {
  /** Whether `session` is seen on `date` for the first time (and remembers it). */
  first(date: string, session: string): boolean
  late: number
  crowded: number
}

const DAYS_HELD = 2
/** Sessions held per day: some 16 MB each of the two days held, and more than the busiest GoatCounter sites count. */
export const SESSIONS_PER_DAY = 200_000
const SESSION_KEY = 40

export function daySessions(): Sessions {
  const days = new Map<string, Set<string>>()
  const sessions: Sessions = {
    late: 0,
    crowded: 0,
    first(date, session) {
      let seen = days.get(date)
      if (!seen) {
        const held = [...days.keys()].sort()
        if (held.length >= DAYS_HELD && date < held[0]!) {
          sessions.late++
          return true
        }
        days.set(date, (seen = new Set()))
        if (held.length >= DAYS_HELD) days.delete(held[0]!)
      }
      const key = session.length > SESSION_KEY ? createHash('sha256').update(session).digest('base64') : session
      if (seen.has(key)) return false
      if (seen.size >= SESSIONS_PER_DAY) sessions.crowded++
      else seen.add(key)
      return true
    },
  }
  return sessions
}

const boolean = (column: string, value: string) =>
  BOOLEAN.has(value) ? undefined : `${column} ${JSON.stringify(value)} must be true or false (or 1, 0, t, f, TRUE, FALSE, True, False)`

function check(t: Record<string, string>): string | undefined {
  const path = t[PATH]!
  const flag = boolean('Event', t.Event!) ?? boolean('FirstVisit', t.FirstVisit!)
  if (flag) return flag
  if (!path) return `${PATH} must not be empty: it is the page's path or the event's name`
  if (!BOT.test(t.Bot!)) return `Bot ${JSON.stringify(t.Bot)} must be a whole number: 0 or 1 for a person, 2 or more for isbot's bot codes`
  if (!SCHEMES.includes(t['Referrer scheme']!)) return `Referrer scheme ${JSON.stringify(t['Referrer scheme'])} must be h, o, g, c or empty`
  if (!SIZE.test(t['Screen size']!)) return `Screen size ${JSON.stringify(t['Screen size'])} must be width,height,scale in numbers (1920,1080,1) or empty`
  if (!LOCATION.test(t.Location!)) return `Location ${JSON.stringify(t.Location)} must be an ISO 3166-1 alpha-2 country, with or without a subdivision (US, US-TX), or empty`
}

function skip(t: Record<string, string>): string | undefined {
  if (isBot(t.Bot!)) return 'bots by GoatCounter (Bot 2 or more)'
  if (t.UserAgent && !describeAgent(t.UserAgent)) return 'bots by their user agent (as the collector drops them)'
}

export const GOATCOUNTER_TABLE: ExportTable<Sessions> = {
  name: 'goatcounter',
  instant: 'Date',
  text: [PATH, 'Title', 'Event', 'UserAgent', 'Browser', 'System', 'Session', 'Bot', 'Referrer', 'Referrer scheme', 'Screen size', 'Location', 'FirstVisit'],
  counts: [],
  header: (names) => {
    if (names[0] === PATH) return undefined
    const version = /^(\d+)Path$/.exec(names[0] ?? '')?.[1]
    return `the header must begin with ${PATH}, as GoatCounter's export format version 2 does, not ${JSON.stringify(names[0] ?? '')}${version ? ` (format version ${version})` : ''}`
  },
  check,
  skip,
  columns: { name: PATH, path: PATH, referrer: 'Referrer', source: 'Referrer', country: 'Location', screen: 'Screen size' },
  memory: daySessions,
  contributions(t, _n, { date }, sessions) {
    const screen = screenOf(t['Screen size']!)
    // skip() has left out the lines describeClient calls bots.
    const client = clientOf(t, screen)!
    const country = t.Location!.slice(0, 2)
    const marginal = (dimension: string, value: string, counts: Contribution['counts'], parent = ''): Contribution => ({ dimension, parent, value, counts })
    const common = (counts: Contribution['counts']) => [
      marginal('total', '', counts),
      marginal('country', country, counts),
      marginal('screen', screen, counts),
      marginal('browser', client.browser, counts),
      marginal('os', client.os, counts),
      marginal('device', client.device, counts),
    ]
    if (TRUE.has(t.Event!)) {
      const counts = { events: 1 }
      // GoatCounter's event is its name alone: no page, no property.
      return [...common(counts), marginal('name', t[PATH]!, counts), marginal('path', '', counts)]
    }
    const session = t.Session!
    // A session's first page view of the day starts its visit, as an entry does in the tracker;
    // without a session, GoatCounter's FirstVisit is all there is (true for each view when it had none).
    const starts = noSession(session) ? TRUE.has(t.FirstVisit!) : sessions.first(date, session)
    // GoatCounter measures no engagement or scroll and exports no monthly visitors: not known, never 0.
    const counts = { views: 1, visits: starts ? 1 : 0, visitors_day: starts ? 1 : 0, visitors_month: undefined, seconds: undefined, scroll: undefined }
    const { referrer, source } = originOf(t.Referrer!, t['Referrer scheme']!)
    return [
      ...common(counts),
      marginal('path', page(t[PATH]!), counts),
      marginal('referrer', referrer, counts),
      marginal('source', source, counts),
      marginal('browser_version', client.browser_version, counts, client.browser),
    ]
  },
  notes: (sessions) => [
    ...(sessions.late
      ? [
          `${sessions.late.toLocaleString('en')} page view(s) came after lines of two later days (the export is not in time order): each was counted as a visit of its own, so those days' visits and visitors may be too high`,
        ]
      : []),
    ...(sessions.crowded
      ? [
          `${sessions.crowded.toLocaleString('en')} page view(s) came on days of more than ${SESSIONS_PER_DAY.toLocaleString('en')} sessions, more than the import holds: each was counted as a visit of its own, so those days' visits and visitors may be too high`,
        ]
      : []),
  ],
}

/** GoatCounter's export is one table; any CSV file given is read as it (its header says whether it is one). */
export const goatcounterTable = (fileName: string) => (fileName.toLowerCase().endsWith('.csv') ? GOATCOUNTER_TABLE : undefined)
