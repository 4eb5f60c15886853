import { type BreakdownName, type BreakdownSpec, breakdown as breakdownSpec, dimension, type RecordKind } from '../../shared/dimensions.js'
import type { BreakdownResult, BreakdownRow, Bucket, Metrics, StatsResult } from '../../shared/stats-types.js'
import { importLacks } from '../imports/lacks.js'
import { TABLES, type Table } from '../schema.js'
import { importKeys } from '../sites/sites.js'
import { addDays, dateOfDay, dayNumber, localTime, monthOfNumber, today } from '../sites/time-zone.js'
import type { AggregateQuery, AggregateRow, QueryPart, Store } from '../stores/store.js'
import { byCodePoint, queryBatch } from './batch.js'
import { weightOf } from './k-anonymity.js'
import type { StatsQuery } from './parse-query.js'
import { type DateRange, hoursOf, marginalParts, previousPeriod } from './periods.js'
import { breakdownSource, covers, detailWindow, filtersOf, filterWords, metricSource, type Source, unavailable } from './plan.js'
import { blankUnknowns } from './unknown.js'

/**
 * Runs a validated stats query against a store: asks the store for exactly the sums the query
 * names (plan.ts decides from which tier), in one batch, and computes the answer from them. All
 * arithmetic (ratios, buckets in the site's time zone, "(other)") happens here, once, so every
 * store gives the same figures to the unit.
 */

const n = (value: unknown) => Number(value ?? 0)
/** The counters of page records: a page breakdown lists the values that have some. */
const PAGE_COUNTERS = [...TABLES.detail_pages.counters]
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits
const ratio = (a: number, b: number, digits: number) => (b ? round(a / b, digits) : 0)
const sum = (rows: AggregateRow[], counter: string) => rows.reduce((total, row) => total + n(row[counter]), 0)

function metricsOf(pages: AggregateRow[], events: AggregateRow[]): Metrics {
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

/** Rows of one unit of time, whose sums are figures and whose times are buckets of the chart. */
interface Timed {
  unit: 'hour' | 'day' | 'month'
  rows: () => AggregateRow[]
}

/**
 * The figures of one kind of record over a range: the rows whose sums are the top line, the
 * chart's rows, and for each whether it needs the detail tier, is blocked from it, and what to
 * call it in a sentence when it cannot be answered.
 */
interface Figures {
  timed: Timed[]
  series: Timed[]
  detail: boolean
  seriesDetail: boolean
  blocked?: boolean
  seriesBlocked?: boolean
  what: string
  seriesWhat: string
}

export async function runStats(store: Store, query: StatsQuery): Promise<StatsResult> {
  const { site, timezone } = query
  const local = today(timezone, query.now)
  const window = await detailWindow(store, query)

  // Every store query of the answer goes into one batch; identical ones are asked once.
  const batch = queryBatch(store)
  // An import's rows are marginal rows under keys of their own, read beside the site's.
  const keys = importKeys({ id: site, imports: query.imports ? [...query.imports] : [] })
  const ask = (wanted: AggregateQuery) => batch.ask(keys.length && wanted.parts.every((p) => TABLES[p.table].tier === 'marginal') ? { ...wanted, imports: keys } : wanted)
  const timed = (part: QueryPart, filters: Record<string, string>): Timed => ({ unit: TABLES[part.table].time, rows: ask({ site, parts: [part], filters, groupBy: ['time'] }) })
  const detailTable = (records: 'pages' | 'events'): Table => (records === 'pages' ? 'detail_pages' : 'detail_events')

  // The UTC hours of a range (two walks through the time zone's hours), once per range.
  const hourRanges = new Map<string, { from: number; to: number }>()
  const hoursOfRange = (r: DateRange) => {
    let hours = hourRanges.get(r.from + r.to)
    if (!hours) hourRanges.set(r.from + r.to, (hours = hoursOf(r, timezone)))
    return hours
  }

  // Records counted without detail, per range: the detail tier answers a range only without any.
  const undetailedOf = new Map<string, () => AggregateRow[]>()
  const undetailed = (range: DateRange) => n(undetailedOf.get(range.from + range.to)?.()[0]?.undetailed)
  const mayUseDetail = (range: DateRange) => {
    const hours = hoursOfRange(range)
    if (!covers(window, hours)) return false
    undetailedOf.set(range.from + range.to, ask({ site, parts: [{ table: 'totals', ...hours }] }))
    return true
  }

  /** The figures of pages or events over a range; with `series`, also the chart's rows. */
  const figures = (records: 'pages' | 'events', range: DateRange, series: boolean, label = 'The totals'): Figures => {
    const filters = filtersOf(records, query.filters)
    const source: Source = metricSource(filters)
    const hours = hoursOfRange(range)
    const words = { what: `${label} under ${filterWords(filters)}`, seriesWhat: `The ${query.interval === 'hour' ? 'hourly ' : ''}chart under ${filterWords(filters)}` }
    if (source.tier === 'detail') {
      if (!mayUseDetail(range)) return { timed: [], series: [], detail: true, seriesDetail: true, blocked: true, seriesBlocked: true, ...words }
      const rows = [timed({ table: detailTable(records), ...hours }, Object.fromEntries(filters))]
      return { timed: rows, series: rows, detail: true, seriesDetail: true, ...words }
    }
    // No filter or one: the marginal rows of `total` or of the filter's value. A daily chart reads
    // every day of the range; otherwise whole months come from the monthly roll-up.
    const parts: QueryPart[] = series && query.interval === 'day' ? [{ table: 'daily', from: dayNumber(range.from), to: dayNumber(range.to) + 1 }] : marginalParts(range, local)
    const rows = parts.map((part) => timed(part, source.filters))
    if (!series || query.interval !== 'hour') return { timed: rows, series: rows, detail: false, seriesDetail: false, ...words }
    // Marginals are daily: an hourly chart comes from the hourly totals, or under a filter from the detail tier.
    if (!filters.length) return { timed: rows, series: [timed({ table: 'totals', ...hours }, {})], detail: false, seriesDetail: false, ...words }
    if (!mayUseDetail(range)) return { timed: rows, series: [], detail: false, seriesDetail: true, seriesBlocked: true, ...words }
    return { timed: rows, series: [timed({ table: detailTable(records), ...hours }, Object.fromEntries(filters))], detail: false, seriesDetail: true, ...words }
  }

  const range: DateRange = { from: query.from, to: query.to }
  const previous = query.compare ? previousPeriod(range) : undefined
  const current = query.metrics || query.timeseries ? { pages: figures('pages', range, query.timeseries), events: figures('events', range, query.timeseries) } : undefined
  const before = previous && {
    pages: figures('pages', previous, false, "The previous period's totals"),
    events: figures('events', previous, false, "The previous period's totals"),
  }
  const breakdowns = query.breakdowns.map((name) => [name, breakdownOf(name)] as const)

  await batch.run()

  /** Why figures cannot be answered, or undefined when they can. */
  const missing = (over: DateRange, ...parts: [blocked: boolean | undefined, detail: boolean, what: string][]) => {
    for (const [blocked, detail, what] of parts) {
      if (blocked) return unavailable(what, site, over, window, 0)
      if (detail && undetailed(over)) return unavailable(what, site, over, window, undetailed(over))
    }
  }
  const result: StatsResult = { site, timezone, from: query.from, to: query.to, interval: query.interval, filters: query.filters, detail: { days: window.days, from: window.from } }
  const imported = (query.imports ?? []).filter((i) => i.from <= query.to && i.to >= query.from)
  if (imported.length) result.imported = imported.map((i) => ({ source: i.source, from: i.from, to: i.to, lacks: importLacks(i) }))
  const notAnswered: NonNullable<StatsResult['unavailable']> = {}
  const rowsOf = (list: Timed[]) => list.flatMap((t) => t.rows())
  if (current && query.metrics) {
    const { pages, events } = current
    const why = missing(range, [pages.blocked, pages.detail, pages.what], [events.blocked, events.detail, events.what])
    if (why) notAnswered.metrics = why
    else result.metrics = metricsOf(rowsOf(pages.timed), rowsOf(events.timed))
  }
  if (previous && before) {
    const { pages, events } = before
    const why = missing(previous, [pages.blocked, pages.detail, pages.what], [events.blocked, events.detail, events.what])
    result.previous = { ...previous, ...(!why && { metrics: metricsOf(rowsOf(pages.timed), rowsOf(events.timed)) }) }
    if (why) notAnswered.previous = why
  }
  if (current && query.timeseries) {
    const { pages, events } = current
    const why = missing(range, [pages.seriesBlocked, pages.seriesDetail, pages.seriesWhat], [events.seriesBlocked, events.seriesDetail, events.seriesWhat])
    if (why) notAnswered.timeseries = why
    else result.timeseries = timeseries(query, pages.series, events.series)
  }
  if (breakdowns.length) result.breakdowns = Object.fromEntries(breakdowns.map(([name, answer]) => [name, answer()]))
  if (Object.keys(notAnswered).length) result.unavailable = notAnswered
  blankUnknowns(result, query)
  return result

  /** Asks what a breakdown needs, and returns how to read its answer once the batch has run. */
  function breakdownOf(name: BreakdownName): () => BreakdownResult {
    const spec = breakdownSpec(name)
    const records = dimension(spec.dimension).records[0] as RecordKind
    if (records === 'consents') return consentBreakdown(spec)
    const filters = filtersOf(records, query.filters)
    const source = breakdownSource(spec, filters)
    const { parent } = dimension(spec.dimension)
    const hours = hoursOfRange(range)
    // What a breakdown the detail tier cannot answer says instead, with the records it lacks.
    const notAnswered = (lacking: number): BreakdownResult => ({ rows: [], unavailable: unavailable(`${spec.title} under ${filterWords(filters)}`, site, range, window, lacking) })
    let parts: QueryPart[]
    let where: Record<string, string>
    let groupBy: string[]
    if (source.tier === 'marginal') {
      parts = marginalParts(range, local)
      where = source.filters
      groupBy = parent ? ['parent', 'value'] : ['value']
    } else {
      if (!mayUseDetail(range)) return () => notAnswered(0)
      parts = [{ table: detailTable(records), ...hours }]
      where = Object.fromEntries(filters)
      if (spec.dimension === 'prop') return propsFromDetail(spec, parts, where, notAnswered)
      groupBy = parent ? [parent, spec.dimension] : [spec.dimension]
    }
    const least = spec.nonZero ? 1 : undefined
    const base = { site, parts, filters: where, groupBy, weight: spec.weight, ...(records === 'pages' && { counted: PAGE_COUNTERS }) }
    const rows = ask({ ...base, limit: query.limit, ...((query.k || least) && { min: Math.max(query.k, least ?? 0) }) })
    const folded = query.k ? ask({ ...base, below: query.k, ...(least && { min: least }), fold: true }) : undefined
    return () => {
      if (source.tier === 'detail' && undetailed(range)) return notAnswered(undetailed(range))
      const other = folded?.()[0]
      return { rows: [...rows().map((group) => breakdownRow(group, groupBy, records)), ...(other && n(other.folded) ? [otherRow(other, records)] : [])] }
    }
  }

  /** Event properties under filters: the detail tier keeps an event's props as one JSON object, unpacked here. */
  function propsFromDetail(spec: BreakdownSpec, parts: QueryPart[], where: Record<string, string>, notAnswered: (lacking: number) => BreakdownResult): () => BreakdownResult {
    const groups = ask({ site, parts, filters: where, groupBy: ['name', 'props'] })
    return () => {
      if (undetailed(range)) return notAnswered(undetailed(range))
      const pairs = new Map<string, AggregateRow>()
      for (const group of groups()) {
        for (const [key, value] of Object.entries(JSON.parse(String(group.props) || '{}') as Record<string, string>)) {
          const id = JSON.stringify([group.name, `${key}=${value}`])
          const held = pairs.get(id) ?? { parent: String(group.name), value: `${key}=${value}`, events: 0 }
          held.events = n(held.events) + n(group.events)
          pairs.set(id, held)
        }
      }
      const ranked = [...pairs.values()].sort(
        (a, b) => n(b.events) - n(a.events) || byCodePoint(String(a.parent), String(b.parent)) || byCodePoint(String(a.value), String(b.value)),
      )
      const shown = ranked.filter((row) => weightOf(row, spec.weight) >= query.k)
      const folded = ranked.filter((row) => weightOf(row, spec.weight) < query.k)
      const other = folded.length ? [otherRow({ events: sum(folded, 'events') }, 'events')] : []
      return { rows: [...shown.slice(0, query.limit).map((group) => breakdownRow(group, ['parent', 'value'], 'events')), ...other] }
    }
  }

  /** Consent decisions are counted alone, never with a page: no filter narrows them, so marginals answer any range. */
  function consentBreakdown(spec: BreakdownSpec): () => BreakdownResult {
    const parts = marginalParts(range, local)
    const decisions = { dimension: 'decision', parent: '' }
    const rows = ask({ site, parts, filters: decisions, groupBy: ['value'], weight: spec.weight, limit: query.limit, ...(query.k && { min: query.k }) })
    const folded = query.k ? ask({ site, parts, filters: decisions, groupBy: ['value'], weight: spec.weight, below: query.k, fold: true }) : undefined
    const total = ask({ site, parts, filters: decisions })
    const categories = ask({ site, parts, filters: { dimension: 'category', parent: '' }, groupBy: ['value'] })
    return () => {
      const all = sum(total(), 'decisions')
      const withRate = (row: BreakdownRow): BreakdownRow => ({ ...row, rate: ratio(row.count!, all, 4) })
      const other = folded?.()[0]
      const byCategory = new Map<string, { granted: number; refused: number }>()
      for (const group of categories()) {
        const [category, answer] = String(group.value).split(':') as [string, 'granted' | 'refused']
        const counts = byCategory.get(category) ?? { granted: 0, refused: 0 }
        counts[answer] += n(group.decisions)
        byCategory.set(category, counts)
      }
      return {
        rows: [
          ...rows().map((group) => withRate({ value: String(group.value), count: n(group.decisions) })),
          ...(other && n(other.folded) ? [withRate({ value: '(other)', count: n(other.decisions) })] : []),
        ],
        categories: [...byCategory]
          .map(([category, c]) => ({ category, ...c, rate: ratio(c.granted, c.granted + c.refused, 4) }))
          .filter((c) => c.granted + c.refused >= query.k)
          .sort((a, b) => byCodePoint(a.category, b.category)),
      }
    }
  }
}

/** A breakdown row from a group: its value (and the value it belongs to), and its figures. */
function breakdownRow(group: AggregateRow, groupBy: string[], records: 'pages' | 'events'): BreakdownRow {
  const row: BreakdownRow = { value: String(group[groupBy.at(-1)!]) }
  if (groupBy.length === 2) row.parent = String(group[groupBy[0]!])
  if (records === 'events') return { ...row, count: n(group.events) }
  return { ...row, visitors: n(group.visitors_day), visits: n(group.visits), pageviews: n(group.views), avg_engagement_seconds: ratio(n(group.seconds), n(group.views), 1) }
}

/** "(other)": the rows folded under k-anonymity, added up. */
function otherRow(folded: AggregateRow, records: 'pages' | 'events'): BreakdownRow {
  if (records === 'events') return { value: '(other)', count: n(folded.events) }
  return { value: '(other)', visitors: n(folded.visitors_day), visits: n(folded.visits), pageviews: n(folded.views) }
}

/** The chart: every bucket of the range in the site's time zone (gaps as zeros), filled from hourly, daily or monthly rows. */
function timeseries(query: StatsQuery, pages: Timed[], events: Timed[]): Bucket[] {
  const { interval, timezone } = query
  // Sums while they are made; blankUnknowns may later say that some are not known.
  const buckets = new Map<string, Bucket & Record<'visitors' | 'visits' | 'pageviews' | 'events', number>>()
  const bucket = (label: string) => buckets.set(label, { bucket: label, visitors: 0, visits: 0, pageviews: 0, events: 0 })
  const hourLabel = (hour: number) => {
    const local = localTime(hour * 3_600_000, timezone)
    return interval === 'hour' ? `${local.date}T${local.hour}` : interval === 'day' ? local.date : local.date.slice(0, 7)
  }
  // Hourly buckets are the range's local hours (a day of 23 or 25 hours has as many); daily and
  // monthly ones its dates, with no time-zone arithmetic at all.
  if (interval === 'hour') {
    const { from, to } = hoursOf(query, timezone)
    for (let hour = from; hour < to; hour++) if (!buckets.has(hourLabel(hour))) bucket(hourLabel(hour))
  } else {
    for (let date = query.from; date <= query.to; date = addDays(date, 1))
      if (!buckets.has(interval === 'day' ? date : date.slice(0, 7))) bucket(interval === 'day' ? date : date.slice(0, 7))
  }
  const bucketOf = (unit: Timed['unit'], time: number) =>
    buckets.get(unit === 'hour' ? hourLabel(time) : unit === 'day' ? (interval === 'day' ? dateOfDay(time) : dateOfDay(time).slice(0, 7)) : monthOfNumber(time))
  for (const { unit, rows } of pages) {
    for (const row of rows()) {
      const b = bucketOf(unit, n(row.time))
      if (!b) continue
      b.visitors += n(row.visitors_day)
      b.visits += n(row.visits)
      b.pageviews += n(row.views)
    }
  }
  for (const { unit, rows } of events) {
    for (const row of rows()) {
      const b = bucketOf(unit, n(row.time))
      if (b) b.events += n(row.events)
    }
  }
  return [...buckets.values()]
}
