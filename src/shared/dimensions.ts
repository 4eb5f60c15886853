/**
 * The dimension registry: every attribute QuietCount counts by, and every breakdown it shows.
 * The stores' columns, ingest, the stats model, the dashboard's panels, the CLI's help and the
 * wire types derive from these two lists, so a dimension is added here and nowhere else.
 */

/** The records a dimension's values come from: page views, custom events, consent decisions. */
export type RecordKind = 'pages' | 'events' | 'consents'

export interface DimensionSpec {
  /** The name in filters (`filter=country:ES`), in the marginal tier's `dimension` column and, for detail, the column. */
  readonly name: string
  readonly label: string
  readonly records: readonly RecordKind[]
  /** Whether a query may filter by it (`filter=name:value`). */
  readonly filter: boolean
  /**
   * A dimension whose values mean something only under another's: a browser version under its
   * browser, an event property under its event. Its marginal rows keep the pair (`parent`,
   * `value`) as one attribute, so a version can be listed under a browser filter at any range.
   */
  readonly parent?: string
  /** Whether the detail tier has a column of this name (consents have no detail). */
  readonly detail: boolean
}

export const DIMENSIONS = [
  { name: 'path', label: 'Page', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'referrer', label: 'Referrer', records: ['pages'], filter: true, detail: true },
  { name: 'source', label: 'Source', records: ['pages'], filter: true, detail: true },
  { name: 'medium', label: 'Medium', records: ['pages'], filter: true, detail: true },
  { name: 'campaign', label: 'Campaign', records: ['pages'], filter: true, detail: true },
  { name: 'country', label: 'Country', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'language', label: 'Language', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'screen', label: 'Screen class', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'browser', label: 'Browser', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'browser_version', label: 'Browser version', records: ['pages'], filter: false, parent: 'browser', detail: true },
  { name: 'os', label: 'Operating system', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'device', label: 'Device', records: ['pages', 'events'], filter: true, detail: true },
  { name: 'name', label: 'Event', records: ['events'], filter: true, detail: true },
  // In the detail tier an event's properties are one column, `props`, a JSON object; each of its
  // pairs is a marginal row of its own, `key=value` under the event's name.
  { name: 'prop', label: 'Event property', records: ['events'], filter: false, parent: 'name', detail: false },
  { name: 'decision', label: 'Consent decision', records: ['consents'], filter: false, detail: false },
  // Per category offered with a decision: `analytics:granted` or `analytics:refused`.
  { name: 'category', label: 'Consent category', records: ['consents'], filter: false, detail: false },
] as const satisfies readonly DimensionSpec[]

export type DimensionName = (typeof DIMENSIONS)[number]['name']
export type FilterName = Extract<(typeof DIMENSIONS)[number], { filter: true }>['name']

/** Dimensions a query may filter by, in registry order. */
export const FILTERS = DIMENSIONS.filter((d) => d.filter).map((d) => d.name) as FilterName[]

/** The dimensions a kind of record carries, in registry order. */
export const dimensionsOf = (records: RecordKind): DimensionSpec[] => DIMENSIONS.filter((d) => (d.records as readonly RecordKind[]).includes(records))

/**
 * What orders a breakdown's rows and decides k-anonymity: the counter that bounds best how many
 * people a row stands for. `people` is the larger of visitors and visits.
 */
export type Weight = 'views' | 'visits' | 'people' | 'events' | 'decisions'

/** A column of a breakdown's dashboard panel: the figure of its rows (stats-types.ts BreakdownRow) and its heading. */
export type PanelColumn = readonly [figure: 'visitors' | 'visits' | 'pageviews' | 'count' | 'rate', heading: string]

/**
 * A breakdown panel's columns after the value, by the breakdown's weight: people first where
 * people weigh it; a page's views bound its people (the `why` of `page`), so views come first and
 * visitors are left out.
 */
export const PANEL_COLUMNS: Readonly<Record<Weight, readonly PanelColumn[]>> = {
  views: [
    ['pageviews', 'Page views'],
    ['visits', 'Visits'],
  ],
  visits: [
    ['visitors', 'Visitors'],
    ['visits', 'Visits'],
    ['pageviews', 'Page views'],
  ],
  people: [
    ['visitors', 'Visitors'],
    ['visits', 'Visits'],
    ['pageviews', 'Page views'],
  ],
  events: [['count', 'Count']],
  decisions: [
    ['count', 'Decisions'],
    ['rate', 'Rate'],
  ],
}

export interface BreakdownSpec {
  /** The API's name: `breakdown=entry_page`. */
  readonly name: string
  readonly dimension: DimensionName
  /** The dashboard panel's title. */
  readonly title: string
  readonly weight: Weight
  /** Rows whose weight is zero are left out: a page that started no visit is no entry page. */
  readonly nonZero?: boolean
  /** Why the weight is what it is, for the docs and the reader. */
  readonly why?: string
}

/** Breakdowns, in the order of the dashboard's panels. */
export const BREAKDOWNS = [
  {
    name: 'page',
    dimension: 'path',
    title: 'Pages',
    weight: 'views',
    why: 'visitors are counted on the first page view of their day, so for a page they say little; its views bound its people',
  },
  { name: 'entry_page', dimension: 'path', title: 'Entry pages', weight: 'visits', nonZero: true, why: 'a visit is counted on the page it started on' },
  { name: 'referrer', dimension: 'referrer', title: 'Referrers', weight: 'people' },
  { name: 'source', dimension: 'source', title: 'Sources', weight: 'people' },
  { name: 'medium', dimension: 'medium', title: 'Media', weight: 'people' },
  { name: 'campaign', dimension: 'campaign', title: 'Campaigns', weight: 'people' },
  { name: 'country', dimension: 'country', title: 'Countries', weight: 'people' },
  { name: 'browser', dimension: 'browser', title: 'Browsers', weight: 'people' },
  { name: 'browser_version', dimension: 'browser_version', title: 'Browser versions', weight: 'people' },
  { name: 'os', dimension: 'os', title: 'Operating systems', weight: 'people' },
  { name: 'device', dimension: 'device', title: 'Devices', weight: 'people' },
  { name: 'screen', dimension: 'screen', title: 'Screen classes', weight: 'people' },
  { name: 'language', dimension: 'language', title: 'Languages', weight: 'people' },
  { name: 'event', dimension: 'name', title: 'Custom events', weight: 'events' },
  { name: 'prop', dimension: 'prop', title: 'Event properties', weight: 'events' },
  { name: 'consent', dimension: 'decision', title: 'Consent decisions', weight: 'decisions' },
] as const satisfies readonly BreakdownSpec[]

export type BreakdownName = (typeof BREAKDOWNS)[number]['name']

export const BREAKDOWN_NAMES = BREAKDOWNS.map((b) => b.name) as BreakdownName[]

export const dimension = (name: DimensionName): DimensionSpec => DIMENSIONS.find((d) => d.name === name)!
export const breakdown = (name: BreakdownName): BreakdownSpec => BREAKDOWNS.find((b) => b.name === name)!

/** The breakdown that lists the values of a filter's dimension (k-anonymity asks it). */
export const breakdownOfFilter = (filter: FilterName): BreakdownSpec => BREAKDOWNS.find((b) => b.dimension === filter)!
