import type { ScreenClass } from '../../shared/protocol.js'
import { linkUrl } from '../../shared/scrub-url.js'
import { type Contribution, type ExportTable, page, referrerOf } from './export-table.js'

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
 * Views, visits, the day's visitors, and seconds: the counters most tables carry. Plausible's visit
 * duration stands for QuietCount's engagement seconds, which are shown per page view; only pages
 * have a closer counterpart (time on page).
 */
const people = (n: Record<string, number>) => ({ views: n.pageviews ?? 0, visits: n.visits ?? 0, visitors_day: n.visitors ?? 0, seconds: n.visit_duration ?? 0 })

/** A Plausible referrer, or none for "(not set)". */
const referrer = (text: string) => (text === NOT_SET ? '' : referrerOf(text))

const campaign = (text: string) => (text === NOT_SET ? '' : text)

export const PLAUSIBLE_TABLES: readonly ExportTable[] = [
  {
    name: 'visitors',
    text: [],
    counts: ['visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'],
    contributions: (_t, n) => [{ dimension: 'total', parent: '', value: '', counts: people(n) }],
  },
  {
    name: 'sources',
    text: ['source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'],
    counts: ['pageviews', 'visitors', 'visits', 'visit_duration', 'bounces'],
    // A line is one combination; each of its values adds to its own dimension's marginal, so a
    // dimension's values still add up to the table's total.
    contributions: (t, n) => [
      { dimension: 'referrer', parent: '', value: referrer(t.referrer!), counts: people(n) },
      { dimension: 'source', parent: '', value: campaign(t.utm_source!), counts: people(n) },
      { dimension: 'medium', parent: '', value: campaign(t.utm_medium!), counts: people(n) },
      { dimension: 'campaign', parent: '', value: campaign(t.utm_campaign!), counts: people(n) },
    ],
  },
  {
    name: 'pages',
    text: ['hostname', 'page'],
    counts: ['visits', 'visitors', 'pageviews'],
    optional: ['total_scroll_depth', 'total_scroll_depth_visits', 'total_time_on_page', 'total_time_on_page_visits'],
    contributions: (t, n): Contribution[] => {
      const scroll = n.total_scroll_depth ?? 0
      return [
        { dimension: 'path', parent: '', value: page(t.page!), counts: { views: n.pageviews ?? 0, visitors_day: n.visitors ?? 0, seconds: n.total_time_on_page ?? 0, scroll } },
        // The visitors table has no scroll depth; the day's is the sum over its pages.
        { dimension: 'total', parent: '', value: '', counts: { scroll } },
      ]
    },
  },
  {
    name: 'entry_pages',
    text: ['entry_page'],
    counts: ['visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'],
    contributions: (t, n) => [{ dimension: 'path', parent: '', value: page(t.entry_page!), counts: { visits: n.entrances ?? 0 } }],
  },
  // QuietCount counts no exits: the table is checked and its lines reported, nothing is kept.
  { name: 'exit_pages', text: ['exit_page'], counts: ['visitors', 'visit_duration', 'exits', 'bounces', 'pageviews'], contributions: () => [] },
  {
    name: 'custom_events',
    text: ['name', 'link_url', 'path'],
    counts: ['visitors', 'events'],
    contributions: (t, n) => {
      const name = PLAUSIBLE_EVENTS[t.name!] ?? t.name!
      const counts = { events: n.events ?? 0 }
      const url = t.link_url ? linkUrl(t.link_url, true) : ''
      return [
        { dimension: 'total', parent: '', value: '', counts },
        { dimension: 'name', parent: '', value: name, counts },
        // The page the event happened on (Plausible keeps it for 404s), or none.
        { dimension: 'path', parent: '', value: t.path ? page(t.path) : '', counts },
        ...(url ? [{ dimension: 'prop', parent: name, value: `url=${url}`, counts }] : []),
      ]
    },
    columns: { prop: 'link_url' },
  },
  {
    name: 'locations',
    text: ['country', 'region', 'city'],
    counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    contributions: (t, n) => [{ dimension: 'country', parent: '', value: t.country!, counts: people(n) }],
    check: (t) => (/^[A-Z]{2}$/.test(t.country!) ? undefined : 'country must be an ISO 3166 alpha-2 code (two capital letters)'),
  },
  {
    name: 'devices',
    text: ['device'],
    counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    contributions: (t, n) => {
      const screen = PLAUSIBLE_SCREENS[t.device!] ?? ''
      // QuietCount's device comes from the user agent; from a width, a laptop is a desktop.
      const device = screen === 'laptop' ? 'desktop' : screen || 'desktop'
      return [
        { dimension: 'screen', parent: '', value: screen, counts: people(n) },
        { dimension: 'device', parent: '', value: device, counts: people(n) },
      ]
    },
    check: (t) => (t.device! in PLAUSIBLE_SCREENS || t.device === NOT_SET ? undefined : `device must be one of ${Object.keys(PLAUSIBLE_SCREENS).join(', ')} or ${NOT_SET}`),
  },
  {
    name: 'browsers',
    text: ['browser', 'browser_version'],
    counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    contributions: (t, n) => {
      const browser = named(PLAUSIBLE_BROWSERS, t.browser!)
      return [
        { dimension: 'browser', parent: '', value: browser, counts: people(n) },
        { dimension: 'browser_version', parent: browser, value: major(t.browser_version!), counts: people(n) },
      ]
    },
  },
  {
    name: 'operating_systems',
    text: ['operating_system', 'operating_system_version'],
    counts: ['visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
    contributions: (t, n) => [{ dimension: 'os', parent: '', value: named(PLAUSIBLE_SYSTEMS, t.operating_system!), counts: people(n) }],
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
