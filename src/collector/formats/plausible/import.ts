import type { ScreenClass } from '../../../shared/protocol.js'
import { linkUrl } from '../../../shared/scrub-url.js'
import { type Contribution, type ExportTable, page, referrerOf } from '../../imports/export-table.js'
import type { Plan } from '../../imports/run-import.js'

/**
 * Plausible's CSV export (Site settings → Imports & Exports → Export), read table by table into
 * QuietCount's marginal tier. Its tables are already per-dimension daily sums, the shape of the
 * marginals, so each line becomes the marginal counts of one value on one site-local day.
 * docs/import.md lists, column by column, what is kept and what has no counterpart.
 *
 * Every table maps `pageviews` to views, `visits` to visits and `visitors` to the day's visitors,
 * with two exceptions where QuietCount's counter means something else: a page's visits are the
 * visits that started on it (Plausible's `entrances`, in entry_pages), and events count events.
 */

/** Plausible's browser names where ua-parser-js, which names QuietCount's, says otherwise. */
export const PLAUSIBLE_BROWSERS: Record<string, string> = { 'Microsoft Edge': 'Edge', 'Samsung Internet': 'Samsung Browser', 'Opera GX': 'Opera GX' }
/** The same for operating systems. */
export const PLAUSIBLE_SYSTEMS: Record<string, string> = { Mac: 'Mac OS', macOS: 'Mac OS', 'GNU/Linux': 'Linux' }
/** Plausible's device column is a screen class by width, as QuietCount's `screen`. */
export const PLAUSIBLE_SCREENS: Record<string, ScreenClass> = { Mobile: 'mobile', Tablet: 'tablet', Laptop: 'laptop', Desktop: 'desktop' }
/** Plausible's own event names for what QuietCount's tracker calls otherwise. */
export const PLAUSIBLE_EVENTS: Record<string, string> = { 'Outbound Link: Click': 'Outbound Link', 'File Download': 'File Download', '404': '404' }

const NOT_SET = '(not set)'
const named = (names: Record<string, string>, name: string) => (name === '' || name === NOT_SET ? 'Unknown' : (names[name] ?? name))

/**
 * A value read from a text column, or undefined when the export has no such column (an older
 * one): the import then holds nothing of that dimension, which is not the same as an empty value.
 */
const known = <T>(text: string | undefined, read: (text: string) => T): T | undefined => (text === undefined ? undefined : read(text))

/**
 * Views, visits, the day's visitors, and seconds: the counters most tables carry. Plausible's visit
 * duration stands for QuietCount's engagement seconds, which are shown per page view; only pages
 * have a closer counterpart (time on page). A column the export lacks (older exports have no
 * `pageviews` here) is left undefined: not known, never 0. Plausible keeps no monthly visitors,
 * no scroll depth but a page's, and no events but custom_events' own: not known either.
 */
const people = (n: Record<string, number | undefined>) => ({
  views: n.pageviews,
  visits: n.visits,
  visitors_day: n.visitors,
  visitors_month: undefined,
  seconds: n.visit_duration,
  scroll: undefined,
  events: undefined,
})

/**
 * The longest browser or system name kept: Plausible's are a few words ("Samsung Internet"), and
 * every other value an import keeps has a bound of its own (paths 200, campaigns 64, hosts),
 * which is what keeps an import's batch of rows, and its memory, bounded.
 */
const NAME_MAX = 64
const nameRule = (column: string, name: string) => (name.length > NAME_MAX ? `${column} must be at most ${NAME_MAX} characters (has ${name.length})` : undefined)

/** A Plausible referrer, or none for "(not set)". */
const referrer = (text: string) => (text === NOT_SET ? '' : referrerOf(text))

const campaign = (text: string) => (text === NOT_SET ? '' : text)

/** What an export without `pageviews` in a table of visits lacks (the first exports had none there). */
const pageviewsOf = (what: string) => `page views by ${what} are not known for its days`
/** The columns every table of visits has: visitors, visits, visit_duration and bounces; `pageviews` came later. */
const PEOPLE = ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews']

export const PLAUSIBLE_TABLES: readonly ExportTable[] = [
  {
    name: 'visitors',
    text: [],
    counts: ['visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'],
    missing: "the top line (visitors, visits, page views, engagement) is not known for the import's days",
    contributions: (_t, n) => [
      {
        dimension: 'total',
        parent: '',
        value: '',
        counts: { views: n.pageviews, visits: n.visits, visitors_day: n.visitors, visitors_month: undefined, seconds: n.visit_duration },
      },
    ],
  },
  {
    name: 'sources',
    missing: "visits by referrer, source, medium and campaign are not known for the import's days",
    text: ['source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'],
    counts: PEOPLE,
    newer: {
      referrer: 'referrers are not in the import',
      utm_source: 'sources (utm_source) are not in the import',
      pageviews: pageviewsOf('referrer, source, medium and campaign'),
    },
    // A line is one combination; each of its values adds to its own dimension's marginal, so a
    // dimension's values still add up to the table's total.
    contributions: (t, n) => [
      { dimension: 'referrer', parent: '', value: known(t.referrer, referrer), counts: people(n) },
      { dimension: 'source', parent: '', value: known(t.utm_source, campaign), counts: people(n) },
      { dimension: 'medium', parent: '', value: known(t.utm_medium, campaign), counts: people(n) },
      { dimension: 'campaign', parent: '', value: known(t.utm_campaign, campaign), counts: people(n) },
    ],
  },
  {
    name: 'pages',
    missing: "page views by page, and scroll depth, are not known for the import's days",
    text: ['hostname', 'page'],
    counts: ['visits', 'visitors', 'pageviews', 'total_scroll_depth', 'total_scroll_depth_visits', 'total_time_on_page', 'total_time_on_page_visits'],
    newer: {
      visits: '',
      total_scroll_depth: 'scroll depth is not known for its days',
      total_scroll_depth_visits: '',
      total_time_on_page: 'engagement by page (time on page) is not known for its days',
      total_time_on_page_visits: '',
    },
    contributions: (t, n): Contribution[] => {
      const scroll = n.total_scroll_depth
      return [
        {
          dimension: 'path',
          parent: '',
          value: known(t.page, page),
          counts: { views: n.pageviews, visitors_day: n.visitors, visitors_month: undefined, seconds: n.total_time_on_page, scroll },
        },
        // The visitors table has no scroll depth; the day's is the sum over its pages.
        { dimension: 'total', parent: '', value: '', counts: { scroll } },
      ]
    },
  },
  {
    name: 'entry_pages',
    missing: "visits by entry page are not known for the import's days",
    text: ['entry_page'],
    counts: ['visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'],
    newer: { pageviews: '' },
    contributions: (t, n) => [{ dimension: 'path', parent: '', value: known(t.entry_page, page), counts: { visits: n.entrances } }],
  },
  // QuietCount counts no exits: the table is checked and its lines reported, nothing is kept.
  {
    name: 'exit_pages',
    missing: '',
    text: ['exit_page'],
    counts: ['visitors', 'visit_duration', 'exits', 'bounces', 'pageviews'],
    newer: { visit_duration: '', bounces: '', pageviews: '' },
    contributions: () => [],
  },
  {
    name: 'custom_events',
    text: ['name', 'link_url', 'path'],
    counts: ['visitors', 'events'],
    missing: "custom events are not known for the import's days (Plausible's first exports have no such table)",
    contributions: (t, n) => {
      const name = known(t.name, (text) => PLAUSIBLE_EVENTS[text] ?? text)
      const counts = { events: n.events }
      const url = t.link_url ? linkUrl(t.link_url, true) : ''
      return [
        { dimension: 'total', parent: '', value: '', counts },
        { dimension: 'name', parent: '', value: name, counts },
        // The page the event happened on (Plausible keeps it for 404s), or none.
        { dimension: 'path', parent: '', value: t.path ? page(t.path) : '', counts },
        ...(url && name ? [{ dimension: 'prop', parent: name, value: `url=${url}`, counts }] : []),
      ]
    },
    columns: { prop: 'link_url' },
  },
  {
    name: 'locations',
    missing: "visits by country are not known for the import's days",
    text: ['country', 'region', 'city'],
    counts: PEOPLE,
    newer: { pageviews: pageviewsOf('country') },
    contributions: (t, n) => [{ dimension: 'country', parent: '', value: t.country, counts: people(n) }],
    check: (t) => (/^[A-Z]{2}$/.test(t.country!) ? undefined : 'country must be an ISO 3166 alpha-2 code (two capital letters)'),
  },
  {
    name: 'devices',
    missing: "visits by screen class and device are not known for the import's days",
    text: ['device'],
    counts: PEOPLE,
    newer: { pageviews: pageviewsOf('screen class and device') },
    contributions: (t, n) => {
      const screen = known(t.device, (device) => PLAUSIBLE_SCREENS[device] ?? '')
      // QuietCount's device comes from the user agent; from a width, a laptop is a desktop.
      const device = known(screen, (s) => (s === 'laptop' ? 'desktop' : s || 'desktop'))
      return [
        { dimension: 'screen', parent: '', value: screen, counts: people(n) },
        { dimension: 'device', parent: '', value: device, counts: people(n) },
      ]
    },
    check: (t) => (t.device! in PLAUSIBLE_SCREENS || t.device === NOT_SET ? undefined : `device must be one of ${Object.keys(PLAUSIBLE_SCREENS).join(', ')} or ${NOT_SET}`),
  },
  {
    name: 'browsers',
    missing: "visits by browser and browser version are not known for the import's days",
    text: ['browser', 'browser_version'],
    counts: PEOPLE,
    newer: { browser_version: 'browser versions are not in the import', pageviews: pageviewsOf('browser') },
    contributions: (t, n) => {
      const browser = known(t.browser, (name) => named(PLAUSIBLE_BROWSERS, name))
      return [
        { dimension: 'browser', parent: '', value: browser, counts: people(n) },
        // An empty version (QuietCount's export writes one for days whose import had none) is no version: not in the import.
        { dimension: 'browser_version', parent: browser ?? '', value: t.browser_version ? major(t.browser_version) : undefined, counts: people(n) },
      ]
    },
    check: (t) => nameRule('browser', t.browser!),
  },
  {
    name: 'operating_systems',
    missing: "visits by operating system are not known for the import's days",
    text: ['operating_system', 'operating_system_version'],
    counts: PEOPLE,
    newer: { operating_system_version: '', pageviews: pageviewsOf('operating system') },
    contributions: (t, n) => [{ dimension: 'os', parent: '', value: known(t.operating_system, (name) => named(PLAUSIBLE_SYSTEMS, name)), counts: people(n) }],
    check: (t) => nameRule('operating_system', t.operating_system!),
  },
]

/** "120.0.6099" → "120"; "(not set)" → "" (the gate empties a major of more than 4 digits, as the collector's). */
const major = (version: string) => (version === NOT_SET ? '' : (/^\d+/.exec(version)?.[0] ?? ''))

/**
 * The table a file holds, from its name as Plausible's exporter writes it
 * (`imported_pages_20240101_20241231.csv`, or without the prefix or the dates).
 */
export function plausibleTable(fileName: string): ExportTable | undefined {
  const base = fileName.split('/').pop()!
  const match = /^(?:imported_)?([a-z_]+?)(?:_\d{8}_\d{8})?\.csv$/.exec(base)
  return match ? PLAUSIBLE_TABLES.find((t) => t.name === match[1]) : undefined
}

/** How `quietcount import plausible` reads an export: its tables by file name, and all of them, so that a missing one is said. */
export const PLAUSIBLE_PLAN: Plan = { source: 'plausible', tableOf: plausibleTable, tables: PLAUSIBLE_TABLES }
