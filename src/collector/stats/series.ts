import type { Bucket, Interval } from '../../shared/stats-types.js'
import { addDays, dateOfDay, localTime, monthOfNumber } from '../sites/time-zone.js'
import type { AggregateRow } from '../stores/store.js'
import { n } from './metrics.js'
import type { StatsQuery } from './parse-query.js'
import { hoursOf } from './periods.js'
import type { Timed } from './reads.js'

/** The chart: every bucket of the range in the site's time zone (gaps as zeros), filled from hourly, daily or monthly rows. */

/** A bucket while it is summed (blankUnknowns may later say that some figures are not known). */
type Summed = Bucket & Record<'visitors' | 'visits' | 'pageviews' | 'events', number>

export function timeseries(query: StatsQuery, pages: Timed[], events: Timed[]): Bucket[] {
  const buckets = emptyBuckets(query)
  const bucketOf = (unit: Timed['unit'], row: AggregateRow) => buckets.get(labelOf(query, unit, n(row.time)))
  for (const { unit, rows } of pages) {
    for (const row of rows()) {
      const b = bucketOf(unit, row)
      if (!b) continue
      b.visitors += n(row.visitors_day)
      b.visits += n(row.visits)
      b.pageviews += n(row.views)
    }
  }
  for (const { unit, rows } of events) {
    for (const row of rows()) {
      const b = bucketOf(unit, row)
      if (b) b.events += n(row.events)
    }
  }
  return [...buckets.values()]
}

/** The label of the local hour of a UTC hour, or of its day or month, as the interval asks. */
function hourLabel(hour: number, { interval, timezone }: { interval: Interval; timezone: string }): string {
  const local = localTime(hour * 3_600_000, timezone)
  return interval === 'hour' ? `${local.date}T${local.hour}` : interval === 'day' ? local.date : local.date.slice(0, 7)
}

/** The bucket a row's time falls in: an hour, a day number or a month number, by the unit of its table. */
function labelOf(query: StatsQuery, unit: Timed['unit'], time: number): string {
  if (unit === 'hour') return hourLabel(time, query)
  if (unit === 'day') return query.interval === 'day' ? dateOfDay(time) : dateOfDay(time).slice(0, 7)
  return monthOfNumber(time)
}

/**
 * Every bucket of the range, in order, at zero. Hourly buckets are the range's local hours (a day
 * of 23 or 25 hours has as many); daily and monthly ones its dates, with no time-zone arithmetic.
 */
function emptyBuckets(query: StatsQuery): Map<string, Summed> {
  const labels = new Set<string>()
  if (query.interval === 'hour') {
    const { from, to } = hoursOf(query, query.timezone)
    for (let hour = from; hour < to; hour++) labels.add(hourLabel(hour, query))
  } else {
    for (let date = query.from; date <= query.to; date = addDays(date, 1)) labels.add(query.interval === 'day' ? date : date.slice(0, 7))
  }
  return new Map([...labels].map((label) => [label, { bucket: label, visitors: 0, visits: 0, pageviews: 0, events: 0 }]))
}
