import type { BreakdownName, FilterName } from './dimensions.js'

/** The wire types of the stats API (`GET /api/stats`), shared by the collector, the dashboard and the CLI. */

export const PERIODS = ['today', 'yesterday', '7d', '30d', 'month', 'last-month', '12mo', 'custom'] as const
export type Period = (typeof PERIODS)[number]
export const INTERVALS = ['hour', 'day', 'month'] as const
export type Interval = (typeof INTERVALS)[number]
/** Parts of an answer besides breakdowns, for `include=`. */
export const INCLUDES = ['metrics', 'timeseries'] as const

/**
 * A figure, or null when it is not known: made of a count that an import meeting the range does
 * not have (an older Plausible export has no page views by browser), which a sum would read as 0.
 */
export type Figure = number | null

export interface Metrics {
  /** Daily unique visitors, summed over the days of the range (visitor-days). */
  visitors: Figure
  /** Monthly unique visitors, summed over the months of the range: exact for whole months. Absent on share links. */
  monthly_visitors?: Figure
  visits: Figure
  pageviews: Figure
  views_per_visit: Figure
  /**
   * Visible seconds per page view. Absent on share links: one page view can add up to a day of
   * seconds, so no noise small enough to be useful would hide it.
   */
  avg_engagement_seconds?: Figure
  /** Maximum scroll depth per page view, percent. Absent on share links, as engagement. */
  avg_scroll?: Figure
  events: Figure
}

export interface Bucket {
  /** `YYYY-MM-DDTHH` (hour), `YYYY-MM-DD` (day) or `YYYY-MM` (month), in the site's time zone. */
  bucket: string
  visitors: Figure
  visits: Figure
  pageviews: Figure
  events: Figure
}

export interface BreakdownRow {
  value: string
  /** For values that belong to another: a browser version's browser, an event property's event. */
  parent?: string
  visitors?: Figure
  visits?: Figure
  pageviews?: Figure
  avg_engagement_seconds?: Figure
  count?: Figure
  /** Share of the total, 0–1 (consent decisions). */
  rate?: number
}

export interface BreakdownResult {
  rows: BreakdownRow[]
  /** Consent decisions: how often each category was granted. */
  categories?: { category: string; granted: number; refused: number; rate: number }[]
  /** Set when the range cannot answer this breakdown: the sentence that says why, and what to do. */
  unavailable?: string
}

/** How far back the detail tier answers any combination of filters. */
export interface DetailWindow {
  /** The site's detail window in days (0: it keeps no detail). */
  days: number
  /** The first local day the detail tier answers for, or null when it answers for none. */
  from: string | null
}

export interface StatsResult {
  site: string
  timezone: string
  from: string
  to: string
  interval: Interval
  filters: Partial<Record<FilterName, string>>
  /** Absent on share links, which read no detail. */
  detail?: DetailWindow
  metrics?: Metrics
  previous?: { from: string; to: string; metrics?: Metrics }
  timeseries?: Bucket[]
  breakdowns?: Partial<Record<BreakdownName, BreakdownResult>>
  /** Parts that were asked for and that this range cannot answer, each with the sentence saying why. */
  unavailable?: { metrics?: string; previous?: string; timeseries?: string }
  /** Imports whose days meet the range: their figures are part of the answer. */
  imported?: ImportedRange[]
  /** On a share link's answers only: how its figures were made approximate. */
  public?: PublicView
}

/** Figures per kind of record: page views (with their visits and visitors), events, consent decisions. */
export interface KindFigures {
  pages: number
  events: number
  consents: number
}

/**
 * How a share link's answer was made differentially private (docs/privacy.md, "Share links"):
 * every figure is a sum of noisy daily counts, and what that costs in accuracy.
 */
export interface PublicView {
  /** The most that everything the link answers can reveal about one page view, event or consent decision. */
  epsilon: number
  /** The chance, per record, that a value counted by that record alone is ever listed. */
  delta: number
  /** The breakdowns the link shows. */
  panels: BreakdownName[]
  /** One standard deviation of the noise: on one day's figure, and on a figure of the whole range. */
  error: { day: KindFigures; range: KindFigures }
  /** Rows of pages, referrers and other open lists need at least this many (noisy) in this range to be listed. */
  threshold: KindFigures
}

/** Days of an answer whose counts were imported from another tool, and the breakdowns it had nothing for. */
export interface ImportedRange {
  source: 'plausible' | 'goatcounter'
  from: string
  to: string
  /** Breakdowns the import holds nothing for: for these days they count only what QuietCount counted. */
  lacks: BreakdownName[]
}

export interface StatsError {
  field: string
  rule: string
  message: string
}
