import type { Metrics } from '../../shared/stats-types.js'
import type { AggregateRow } from '../stores/store.js'

/** The arithmetic of an owner's answer, done here once so that every store gives the same figures to the unit. */

/** A counter's value in a row of sums (absent: 0). */
export const n = (value: unknown) => Number(value ?? 0)
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits
/** a / b rounded to `digits` decimals; 0 when b is 0. */
export const ratio = (a: number, b: number, digits: number) => (b ? round(a / b, digits) : 0)
export const sum = (rows: AggregateRow[], counter: string) => rows.reduce((total, row) => total + n(row[counter]), 0)

/** The top line from the rows of page records and of events over a range. */
export function metricsOf(pages: AggregateRow[], events: AggregateRow[]): Metrics {
  const views = sum(pages, 'views')
  const visits = sum(pages, 'visits')
  return {
    visitors: sum(pages, 'visitors_day'),
    monthly_visitors: sum(pages, 'visitors_month'),
    visits,
    pageviews: views,
    views_per_visit: ratio(views, visits, 2),
    avg_engagement_seconds: ratio(sum(pages, 'seconds'), views, 1),
    avg_scroll: ratio(sum(pages, 'scroll'), views, 0),
    events: sum(events, 'events'),
  }
}
