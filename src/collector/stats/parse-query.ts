import { BREAKDOWN_NAMES, type BreakdownName, FILTERS, type FilterName } from '../../shared/dimensions.js'
import { INCLUDES, INTERVALS, type Interval, PERIODS, type StatsError } from '../../shared/stats-types.js'
import { detailDaysOf, type Site, type SiteImport } from '../sites/sites.js'
import { today } from '../sites/time-zone.js'
import { type DateRange, daysBetween, periodRange } from './periods.js'

/** A validated stats query: what a site owner asked, and what the answer is computed for. */
export interface StatsQuery extends DateRange {
  site: string
  timezone: string
  interval: Interval
  /** The top line, and the chart: each computed only when asked for. */
  metrics: boolean
  timeseries: boolean
  /** Add the metrics of the period of the same length just before. */
  compare: boolean
  breakdowns: BreakdownName[]
  filters: Partial<Record<FilterName, string>>
  /** Breakdown rows at most. */
  limit: number
  /** k-anonymity: breakdown rows that may stand for fewer than k people are folded into "(other)". 0: off. */
  k: number
  /** Days of detail the site keeps: the detail tier answers inside this window only. */
  detailDays: number
  /** The instant the query is asked at (ms since the epoch): where the window ends. */
  now: number
  /** The site's imports: their rows are read beside the site's own. */
  imports?: readonly SiteImport[]
}

export type ParsedQuery = { ok: true; query: StatsQuery } | { ok: false; error: StatsError }

const DATE = /^\d{4}-\d{2}-\d{2}$/
// Counts start in 1970 (hours since the epoch); four-digit years, even a day later, keep dates comparable as strings.
const validDate = (date: string) => DATE.test(date) && date >= '1970-01-01' && date < '9999' && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date
const oneOf = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value)
const KNOWN = ['site', 'period', 'from', 'to', 'interval', 'include', 'breakdown', 'filter', 'compare', 'limit', 'k']

/**
 * Reads a stats query from URL parameters (the API's and the CLI's flags alike): `period`, `from`,
 * `to`, `interval`, `include=metrics,timeseries` (or `none`), `breakdown=page,referrer`
 * (repeatable), `filter=dimension:value` (repeatable), `compare=previous`, `limit`, `k`. Returns
 * the first problem, naming the parameter and the allowed form.
 */
export function parseStatsQuery(params: URLSearchParams, site: Site, now = Date.now()): ParsedQuery {
  try {
    for (const key of params.keys()) if (!KNOWN.includes(key)) throw new Refused(key, `is not a stats parameter (allowed: ${KNOWN.join(', ')})`)
    const range = rangeOf(params, site, now)
    const interval = intervalOf(params, range)
    const included = includedOf(params)
    const breakdowns = breakdownsOf(params)
    const filters = filtersOf(params)
    const compare = params.get('compare')
    if (compare !== null && compare !== 'previous') throw new Refused('compare', 'must be "previous"', compare)
    const limit = numberOf(params, 'limit', 50, 1, 1000)
    const k = numberOf(params, 'k', 0, 0, 1000)
    // Two filters could single out a group smaller than k that no single row shows (see refuseUnderK).
    if (k > 0 && Object.keys(filters).length > 1) throw new Refused('filter', `at most one filter is allowed under k-anonymity (k = ${k})`, params.getAll('filter').join('&'))
    return {
      ok: true,
      query: {
        site: site.id,
        timezone: site.timezone,
        ...range,
        interval,
        metrics: included.includes('metrics'),
        timeseries: included.includes('timeseries'),
        compare: compare === 'previous',
        breakdowns,
        filters,
        limit,
        k,
        detailDays: detailDaysOf(site),
        imports: site.imports ?? [],
        now,
      },
    }
  } catch (error) {
    if (error instanceof Refused) return { ok: false, error: error.error }
    throw error
  }
}

/** The first problem of a query, thrown by the readers below and returned by parseStatsQuery: the parameter, the rule it breaks, and the value. */
class Refused extends Error {
  readonly error: StatsError
  constructor(field: string, rule: string, value?: string) {
    const message = `${field}: ${rule}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`
    super(message)
    this.error = { field, rule, message }
  }
}

/** The days asked for: `from` … `to` (a custom range), or a named period ending today in the site's zone (30d by default). */
function rangeOf(params: URLSearchParams, site: Site, now: number): DateRange {
  if (params.has('to') && !params.has('from')) throw new Refused('from', 'is required when to is given (a custom range is from … to)')
  const period = params.get('period') ?? (params.has('from') ? 'custom' : '30d')
  if (!oneOf(PERIODS, period)) throw new Refused('period', `must be one of ${PERIODS.join(', ')}`, period)
  if (period !== 'custom') {
    if (params.has('from') || params.has('to')) throw new Refused('period', 'must be "custom" (or absent) when from/to are given', period)
    return periodRange(period, today(site.timezone, now))
  }
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? from
  if (!validDate(from)) throw new Refused('from', 'must be a date YYYY-MM-DD from 1970-01-01 to 9998-12-31', from)
  if (!validDate(to)) throw new Refused('to', 'must be a date YYYY-MM-DD from 1970-01-01 to 9998-12-31', to)
  if (to < from) throw new Refused('to', `must not be before from (${from})`, to)
  if (daysBetween(from, to) > 3 * 366) throw new Refused('to', 'must be at most 3 years after from', to)
  return { from, to }
}

/** The chart's step: by default hours for a day, days up to a quarter, months beyond; hours for a month at most. */
function intervalOf(params: URLSearchParams, range: DateRange): Interval {
  const days = daysBetween(range.from, range.to)
  const interval = params.get('interval') ?? (days <= 1 ? 'hour' : days <= 92 ? 'day' : 'month')
  if (!oneOf(INTERVALS, interval)) throw new Refused('interval', `must be one of ${INTERVALS.join(', ')}`, interval)
  if (interval === 'hour' && days > 31) throw new Refused('interval', 'hour is allowed for ranges of at most 31 days', interval)
  return interval
}

/** The parts of the answer asked for (metrics, timeseries): all by default. */
function includedOf(params: URLSearchParams): string[] {
  const include = params.get('include') ?? INCLUDES.join(',')
  const included = include === 'none' || include === '' ? [] : include.split(',')
  for (const part of included) if (!oneOf(INCLUDES, part)) throw new Refused('include', `must be a comma-separated list of ${INCLUDES.join(', ')}, or none`, include)
  return included
}

/** The breakdowns asked for, in order, each once. */
function breakdownsOf(params: URLSearchParams): BreakdownName[] {
  const breakdowns: BreakdownName[] = []
  for (const name of params.getAll('breakdown').flatMap((b) => b.split(','))) {
    if (!oneOf(BREAKDOWN_NAMES, name)) throw new Refused('breakdown', `must be one or more of ${BREAKDOWN_NAMES.join(', ')}, comma-separated`, name)
    if (breakdowns.includes(name)) throw new Refused('breakdown', `names ${name} twice`, name)
    breakdowns.push(name)
  }
  return breakdowns
}

/** The filters, `dimension:value`, one per dimension. */
function filtersOf(params: URLSearchParams): Partial<Record<FilterName, string>> {
  const filters: Partial<Record<FilterName, string>> = {}
  for (const filter of params.getAll('filter')) {
    const colon = filter.indexOf(':')
    const name = filter.slice(0, colon)
    if (colon < 1 || !oneOf(FILTERS, name)) throw new Refused('filter', `must be dimension:value with a dimension among ${FILTERS.join(', ')}`, filter)
    if (name in filters) throw new Refused('filter', `names ${name} twice`, filter)
    const value = filter.slice(colon + 1)
    // Only the value's start is quoted back: the message stays short.
    if (value.length > 300) throw new Refused('filter', 'value must be at most 300 characters', filter.slice(0, 40))
    filters[name] = value
  }
  return filters
}

/** A whole number parameter from `min` to `max`, or `fallback` when it is absent. */
function numberOf(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name)
  if (raw === null) return fallback
  if (!/^\d+$/.test(raw) || +raw < min || +raw > max) throw new Refused(name, `must be a whole number from ${min} to ${max}`, raw)
  return +raw
}
