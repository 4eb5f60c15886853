import type { Dimension } from './rows.js'
import type { Site } from './sites.js'
import type { AggregateRow, Store } from './stores/store.js'
import { addDays, localTime, startHour, today } from './time-zone.js'

/**
 * The stats query model, shared by the HTTP API, the CLI report and the dashboard: what a site
 * owner may ask (metrics, a time series, one breakdown, filters, a date range in the site's time
 * zone, the previous period) and how the answer is computed from the store's sums. All
 * arithmetic happens here, once, so every store gives the same figures to the unit.
 */

export const PERIODS = ['today', 'yesterday', '7d', '30d', 'month', 'last-month', '12mo', 'custom'] as const
export type Period = (typeof PERIODS)[number]
export const INTERVALS = ['hour', 'day', 'month'] as const
export type Interval = (typeof INTERVALS)[number]

/** Breakdowns: the table and dimension each one groups by. */
export const BREAKDOWNS = {
  page: ['pages', 'path'],
  entry_page: ['pages', 'path'],
  referrer: ['pages', 'referrer'],
  source: ['pages', 'source'],
  medium: ['pages', 'medium'],
  campaign: ['pages', 'campaign'],
  country: ['pages', 'country'],
  language: ['pages', 'language'],
  screen: ['pages', 'screen'],
  browser: ['pages', 'browser'],
  os: ['pages', 'os'],
  device: ['pages', 'device'],
  event: ['events', 'name'],
  consent: ['consents', 'decision'],
} as const
export type Breakdown = keyof typeof BREAKDOWNS

/** Dimensions a filter may name; page filters also narrow events where events have the dimension. */
export const FILTERS = ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'os', 'device', 'name'] as const
export type FilterName = (typeof FILTERS)[number]
const EVENT_FILTERS: readonly string[] = ['path', 'country', 'language', 'screen', 'browser', 'os', 'device', 'name']

export interface StatsQuery {
  site: string
  timezone: string
  /** First and last day included, `YYYY-MM-DD`, in the site's time zone. */
  from: string
  to: string
  interval: Interval
  breakdown?: Breakdown
  filters: Partial<Record<FilterName, string>>
  /** Add the same metrics for the period of the same length just before. */
  compare: boolean
  /** Breakdown rows at most. */
  limit: number
  /** k-anonymity: breakdown rows with fewer visitors (or occurrences) than k are folded into "(other)". 0: off. */
  k: number
}

export interface Metrics {
  /** Daily unique visitors, summed over the days of the range (visitor-days). */
  visitors: number
  /** Monthly unique visitors, summed over the months of the range: exact for whole months. */
  monthly_visitors: number
  visits: number
  pageviews: number
  views_per_visit: number
  /** Visible seconds per page view. */
  avg_engagement_seconds: number
  /** Maximum scroll depth per page view, percent. */
  avg_scroll: number
  events: number
}

export interface BreakdownRow {
  value: string
  visitors?: number
  visits?: number
  pageviews?: number
  avg_engagement_seconds?: number
  count?: number
  /** Share of the total, 0–1 (consent decisions and categories). */
  rate?: number
}

export interface StatsResult {
  site: string
  timezone: string
  from: string
  to: string
  interval: Interval
  filters: Partial<Record<FilterName, string>>
  metrics: Metrics
  previous?: { from: string; to: string; metrics: Metrics }
  timeseries: { bucket: string; visitors: number; visits: number; pageviews: number; events: number }[]
  breakdown?: { dimension: Breakdown; rows: BreakdownRow[]; categories?: { category: string; granted: number; refused: number; rate: number }[] }
}

export interface StatsError {
  field: string
  rule: string
  message: string
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
// Counts start in 1970 (hours since the epoch); four-digit years, even a day later, keep dates comparable as strings.
const validDate = (date: string) => DATE.test(date) && date >= '1970-01-01' && date < '9999' && new Date(date + 'T00:00:00Z').toISOString().slice(0, 10) === date
const oneOf = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value)

/** The range of a named period, in the site's time zone. */
export function periodRange(period: Exclude<Period, 'custom'>, now: string): { from: string; to: string } {
  const month = now.slice(0, 8) + '01'
  switch (period) {
    case 'today':
      return { from: now, to: now }
    case 'yesterday':
      return { from: addDays(now, -1), to: addDays(now, -1) }
    case '7d':
      return { from: addDays(now, -6), to: now }
    case '30d':
      return { from: addDays(now, -29), to: now }
    case 'month':
      return { from: month, to: now }
    case 'last-month': {
      const last = addDays(month, -1)
      return { from: last.slice(0, 8) + '01', to: last }
    }
    case '12mo': {
      const [y, m] = month.split('-').map(Number)
      const start = new Date(Date.UTC(y!, m! - 12, 1)).toISOString().slice(0, 10)
      return { from: start, to: now }
    }
  }
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 864e5) + 1

/**
 * Reads a stats query from URL parameters (the API's and the CLI's flags alike):
 * `period`, `from`, `to`, `interval`, `breakdown`, `filter=dimension:value` (repeatable),
 * `compare=previous`, `limit`, `k`. Returns the first problem, naming the parameter and the
 * allowed form.
 */
export function parseStatsQuery(
  params: URLSearchParams,
  site: Site,
  now = Date.now(),
  /** The least k allowed (public share links set theirs); `k` may only raise it. */
  minimumK = 0,
): { ok: true; query: StatsQuery } | { ok: false; error: StatsError } {
  const fail = (field: string, rule: string, value?: string) => ({
    ok: false as const,
    error: { field, rule, message: `${field}: ${rule}` + (value === undefined ? '' : ` (got ${JSON.stringify(value)})`) },
  })
  const known = ['site', 'period', 'from', 'to', 'interval', 'breakdown', 'filter', 'compare', 'limit', 'k']
  for (const key of params.keys()) if (!known.includes(key)) return fail(key, `is not a stats parameter (allowed: ${known.join(', ')})`)

  if (params.has('to') && !params.has('from')) return fail('from', 'is required when to is given (a custom range is from … to)')
  const period = params.get('period') ?? (params.has('from') ? 'custom' : '30d')
  if (!oneOf(PERIODS, period)) return fail('period', `must be one of ${PERIODS.join(', ')}`, period)
  let range: { from: string; to: string }
  if (period == 'custom') {
    const from = params.get('from') ?? ''
    const to = params.get('to') ?? from
    if (!validDate(from)) return fail('from', 'must be a date YYYY-MM-DD from 1970-01-01 to 9998-12-31', from)
    if (!validDate(to)) return fail('to', 'must be a date YYYY-MM-DD from 1970-01-01 to 9998-12-31', to)
    if (to < from) return fail('to', `must not be before from (${from})`, to)
    if (daysBetween(from, to) > 3 * 366) return fail('to', 'must be at most 3 years after from', to)
    range = { from, to }
  } else {
    if (params.has('from') || params.has('to')) return fail('period', 'must be "custom" (or absent) when from/to are given', period)
    range = periodRange(period, today(site.timezone, now))
  }

  const days = daysBetween(range.from, range.to)
  const interval = params.get('interval') ?? (days <= 1 ? 'hour' : days <= 92 ? 'day' : 'month')
  if (!oneOf(INTERVALS, interval)) return fail('interval', `must be one of ${INTERVALS.join(', ')}`, interval)
  if (interval == 'hour' && days > 31) return fail('interval', 'hour is allowed for ranges of at most 31 days', interval)

  const breakdown = params.get('breakdown') ?? undefined
  if (breakdown !== undefined && !oneOf(Object.keys(BREAKDOWNS) as Breakdown[], breakdown)) {
    return fail('breakdown', `must be one of ${Object.keys(BREAKDOWNS).join(', ')}`, breakdown)
  }

  const filters: Partial<Record<FilterName, string>> = {}
  for (const filter of params.getAll('filter')) {
    const colon = filter.indexOf(':')
    const name = filter.slice(0, colon)
    if (colon < 1 || !oneOf(FILTERS, name)) return fail('filter', `must be dimension:value with a dimension among ${FILTERS.join(', ')}`, filter)
    if (name in filters) return fail('filter', `names ${name} twice`, filter)
    const value = filter.slice(colon + 1)
    if (value.length > 300) return fail('filter', 'value must be at most 300 characters', filter.slice(0, 40))
    filters[name] = value
  }

  const compare = params.get('compare')
  if (compare !== null && compare !== 'previous') return fail('compare', 'must be "previous"', compare)
  const number = (name: string, fallback: number, min: number, max: number) => {
    const raw = params.get(name)
    if (raw === null) return fallback
    return /^\d+$/.test(raw) && +raw >= min && +raw <= max ? +raw : fail(name, `must be a whole number from ${min} to ${max}`, raw)
  }
  const limit = number('limit', 50, 1, 1000)
  if (typeof limit != 'number') return limit
  const asked = number('k', 0, 0, 1000)
  if (typeof asked != 'number') return asked
  const k = Math.max(asked, minimumK)
  // Two filters could single out a group smaller than k that no single row shows (see refuseUnderK).
  if (k > 0 && Object.keys(filters).length > 1) return fail('filter', `at most one filter is allowed under k-anonymity (k = ${k})`, params.getAll('filter').join('&'))
  return { ok: true, query: { site: site.id, timezone: site.timezone, ...range, interval, breakdown, filters, compare: compare == 'previous', limit, k } }
}

const n = (value: unknown) => Number(value ?? 0)
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits
const ratio = (a: number, b: number, digits: number) => (b ? round(a / b, digits) : 0)

/** The metrics of a range from its page and event groups (by hour, or one ungrouped row each). */
function metricsOf([pageGroups, eventGroups]: [AggregateRow[], AggregateRow[]]): Metrics {
  const sum = (groups: AggregateRow[], counter: string) => groups.reduce((total, group) => total + n(group[counter]), 0)
  const views = sum(pageGroups, 'views')
  const visits = sum(pageGroups, 'visits')
  return {
    visitors: sum(pageGroups, 'visitors_day'),
    monthly_visitors: sum(pageGroups, 'visitors_month'),
    visits,
    pageviews: views,
    views_per_visit: ratio(views, visits, 2),
    avg_engagement_seconds: ratio(sum(pageGroups, 'seconds'), views, 1),
    avg_scroll: ratio(sum(pageGroups, 'scroll'), views, 0),
    events: sum(eventGroups, 'count'),
  }
}

function filtersFor(table: 'pages' | 'events', filters: StatsQuery['filters']): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([name]) => (table == 'pages' ? name != 'name' : EVENT_FILTERS.includes(name))))
}

/** The breakdown whose rows are the values of a filter's dimension. */
const BREAKDOWN_OF_FILTER: Record<FilterName, Breakdown> = {
  path: 'page', name: 'event', referrer: 'referrer', source: 'source', medium: 'medium', campaign: 'campaign',
  country: 'country', language: 'language', screen: 'screen', browser: 'browser', os: 'os', device: 'device',
}

/**
 * Under k-anonymity a filter could isolate a row that the breakdown folds into "(other)", and the
 * totals and time series would then show it. So a filter may name a value that the breakdown of
 * its dimension, over the same range(s), shows as a row of its own, or that has no counts at all
 * (zeros single out nobody): what can be seen can be clicked. Returns the refusal, or undefined.
 */
export async function refuseUnderK(store: Store, query: StatsQuery): Promise<StatsError | undefined> {
  const [filter] = Object.entries(query.filters) as [FilterName, string][]
  if (query.k == 0 || !filter) return
  const [name, value] = filter
  const breakdown = BREAKDOWN_OF_FILTER[name]
  for (const { from, to } of query.compare ? [query, previousPeriod(query)] : [query]) {
    const rowsWith = async (k: number) => {
      const unfiltered = { ...query, from, to, filters: {}, breakdown, compare: false, limit: Number.MAX_SAFE_INTEGER, k }
      return (await breakdownOf(store, unfiltered, hoursOf(from, to, query.timezone), {}, {})).rows.map((row) => row.value)
    }
    if ((await rowsWith(0)).includes(value) && !(await rowsWith(query.k)).includes(value)) {
      return { field: 'filter', rule: 'k-anonymity', message: `filter: ${name}:${JSON.stringify(value)} counts fewer than k = ${query.k} from ${from} to ${to}, so it is only shown within "(other)"` }
    }
  }
}

const hoursOf = (from: string, to: string, timezone: string) => ({ from: startHour(from, timezone), to: startHour(addDays(to, 1), timezone) })
const previousPeriod = ({ from, to }: { from: string; to: string }) => {
  const days = daysBetween(from, to)
  return { from: addDays(from, -days), to: addDays(from, -1) }
}

/** Runs a validated stats query against a store. */
export async function runStats(store: Store, query: StatsQuery): Promise<StatsResult> {
  const { site, timezone } = query
  const range = hoursOf(query.from, query.to, timezone)
  const pageFilters = filtersFor('pages', query.filters) as Partial<Record<Dimension<'pages'>, string>>
  const eventFilters = filtersFor('events', query.filters) as Partial<Record<Dimension<'events'>, string>>
  // The sums of both tables over a range, asked at the same time. An event-name filter narrows
  // events only; page totals then count the pages of the range.
  const sums = (r: { from: number; to: number }, groupBy?: ['hour']) =>
    Promise.all([store.query({ table: 'pages', site, ...r, filters: pageFilters, groupBy }), store.query({ table: 'events', site, ...r, filters: eventFilters, groupBy })])
  // The range's hourly sums serve twice: bucketed they are the time series, added up the totals,
  // so the rows are read once. The previous period needs only its totals.
  const previous = query.compare ? previousPeriod(query) : undefined
  const [hours, previousSums, breakdown] = await Promise.all([
    sums(range, ['hour']),
    previous && sums(hoursOf(previous.from, previous.to, timezone)),
    query.breakdown && breakdownOf(store, query, range, pageFilters, eventFilters),
  ])

  const result: StatsResult = {
    site,
    timezone,
    from: query.from,
    to: query.to,
    interval: query.interval,
    filters: query.filters,
    metrics: metricsOf(hours),
    timeseries: [],
    ...(previous && previousSums && { previous: { ...previous, metrics: metricsOf(previousSums) } }),
    ...(breakdown && { breakdown }),
  }

  // Time series: hourly sums from the store, bucketed in the site's time zone, gaps filled.
  const bucketOf = (hour: number) => {
    const { date, hour: hh } = localTime(hour * 3_600_000, timezone)
    return query.interval == 'hour' ? `${date}T${hh}` : query.interval == 'day' ? date : date.slice(0, 7)
  }
  // Each hour of the range to its bucket, gaps included: time-zone arithmetic once per hour.
  const bucketOfHour = new Map<number, StatsResult['timeseries'][number]>()
  const buckets = new Map<string, StatsResult['timeseries'][number]>()
  for (let hour = range.from; hour < range.to; hour++) {
    const bucket = bucketOf(hour)
    let b = buckets.get(bucket)
    if (!b) buckets.set(bucket, (b = { bucket, visitors: 0, visits: 0, pageviews: 0, events: 0 }))
    bucketOfHour.set(hour, b)
  }
  const [pageHours, eventHours] = hours
  for (const row of pageHours) {
    const b = bucketOfHour.get(n(row.hour))!
    b.visitors += n(row.visitors_day)
    b.visits += n(row.visits)
    b.pageviews += n(row.views)
  }
  for (const row of eventHours) bucketOfHour.get(n(row.hour))!.events += n(row.count)
  result.timeseries = [...buckets.values()]
  return result
}

async function breakdownOf(
  store: Store,
  query: StatsQuery,
  range: { from: number; to: number },
  pageFilters: Partial<Record<Dimension<'pages'>, string>>,
  eventFilters: Partial<Record<Dimension<'events'>, string>>,
): Promise<NonNullable<StatsResult['breakdown']>> {
  const dimension = query.breakdown!
  const [table, column] = BREAKDOWNS[dimension]
  const { site } = query
  let rows: BreakdownRow[]
  let weight: (row: BreakdownRow) => number
  let categories: NonNullable<StatsResult['breakdown']>['categories']
  /** Consent decisions in all, for the rate of each row. */
  let total: number | undefined

  if (table == 'pages') {
    const groups = await store.query({ table, site, ...range, filters: pageFilters, groupBy: [column] })
    rows = groups.map((g) => ({
      value: String(g[column]),
      visitors: n(g.visitors_day),
      visits: n(g.visits),
      pageviews: n(g.views),
      avg_engagement_seconds: ratio(n(g.seconds), n(g.views), 1),
    }))
    if (dimension == 'entry_page') rows = rows.filter((r) => r.visits)
    // The weight orders rows and decides k-anonymity. Visitors are counted on the first page view
    // of a visitor's day, and visits on the entry page, so for a page neither says how many people
    // saw it: there the weight is its page views.
    weight = dimension == 'page' ? (r) => r.pageviews! : dimension == 'entry_page' ? (r) => r.visits! : (r) => Math.max(r.visitors!, r.visits!)
    rows.sort((a, b) => weight(b) - weight(a) || b.pageviews! - a.pageviews! || (a.value < b.value ? -1 : 1))
  } else if (table == 'events') {
    const groups = await store.query({ table, site, ...range, filters: eventFilters, groupBy: [column] })
    rows = groups.map((g) => ({ value: String(g[column]), count: n(g.count) }))
    weight = (r) => r.count!
    rows.sort((a, b) => b.count! - a.count! || (a.value < b.value ? -1 : 1))
  } else {
    // Consent decisions: counts and rates, and per category how often it was granted.
    const groups = await store.query({ table, site, ...range, groupBy: ['decision', 'categories'] })
    total = groups.reduce((sum, g) => sum + n(g.count), 0)
    const byDecision = new Map<string, number>()
    const byCategory = new Map<string, { granted: number; refused: number }>()
    for (const g of groups) {
      byDecision.set(String(g.decision), (byDecision.get(String(g.decision)) ?? 0) + n(g.count))
      for (const [category, granted] of Object.entries(JSON.parse(String(g.categories)) as Record<string, boolean>)) {
        const c = byCategory.get(category) ?? { granted: 0, refused: 0 }
        c[granted ? 'granted' : 'refused'] += n(g.count)
        byCategory.set(category, c)
      }
    }
    rows = [...byDecision].map(([value, count]) => ({ value, count, rate: ratio(count, total!, 4) }))
    weight = (r) => r.count!
    rows.sort((a, b) => b.count! - a.count! || (a.value < b.value ? -1 : 1))
    categories = [...byCategory]
      .map(([category, c]) => ({ category, ...c, rate: ratio(c.granted, c.granted + c.refused, 4) }))
      .sort((a, b) => (a.category < b.category ? -1 : 1))
  }

  let other: BreakdownRow | undefined
  if (query.k > 0) {
    // k-anonymity: a row that may stand for fewer than k people could point at someone; fold it.
    const folded = rows.filter((r) => weight(r) < query.k)
    if (folded.length) {
      other = { value: '(other)' }
      for (const key of ['visitors', 'visits', 'pageviews', 'count'] as const) {
        if (folded[0]![key] !== undefined) other[key] = folded.reduce((sum, r) => sum + r[key]!, 0)
      }
      if (total !== undefined) other.rate = ratio(other.count!, total, 4)
      rows = rows.filter((r) => weight(r) >= query.k)
    }
    categories = categories?.filter((c) => c.granted + c.refused >= query.k)
  }
  return { dimension, rows: [...rows.slice(0, query.limit), ...(other ? [other] : [])], ...(categories && { categories }) }
}
