import { type BreakdownName, type BreakdownSpec, breakdown as breakdownSpec, dimension, type RecordKind, type Weight } from '../../../shared/dimensions.js'
import { CONSENT_DECISIONS } from '../../../shared/protocol.js'
import type { BreakdownResult, BreakdownRow, Bucket, KindFigures, Metrics, StatsResult } from '../../../shared/stats-types.js'
import { importLacks } from '../../imports/lacks.js'
import { TABLES } from '../../schema.js'
import { importKey } from '../../sites/sites.js'
import { addDays, dateOfDay, dayNumber, monthOfNumber, today } from '../../sites/time-zone.js'
import type { AggregateRow, QueryPart, Store } from '../../stores/store.js'
import { byCodePoint, queryBatch } from '../batch.js'
import { type DateRange, marginalParts, previousPeriod } from '../periods.js'
import { filtersOf } from '../plan.js'
import { blankUnknowns } from '../unknown.js'
import { type Noise, noiseOf, type Series, type Source } from './cells.js'
import { type PublicQuery, RANGES_PER_DAY } from './query.js'
import { closedValues, DELTA, errorOf, KINDS, listedFrom, RELEASED, type Release, releaseOf, thresholdOf } from './release.js'

/**
 * A share link's answer: the exact sums the marginal tier holds for what was asked, each plus
 * the noise of the link's cells it covers (cells.ts), so that every figure is a sum of noisy
 * daily cells and nothing else. Rows of open lists are shown only above the release's threshold,
 * and no "(other)" row exists. Noisy figures are shown rounded and never below 0, which changes
 * nothing in what they reveal.
 */

const n = (value: unknown) => Number(value ?? 0)
const shown = (value: number) => Math.max(0, Math.round(value))

/** The counters whose noisy values rank a breakdown's rows: the larger of visitors and visits for `people`. */
const weightCounters = (weight: Weight): string[] => (weight === 'people' ? ['visitors_day', 'visits'] : [weight])

/** What the parts of an answer share: the link's noise and accounting, the sources of counts, the store batch. */
interface Context {
  query: PublicQuery
  release: Release
  noise: Noise
  sources: Source[]
  /** Sums of the rows of `parts` (the site's and its imports') matching `filters`, grouped by `groupBy` when given. */
  read: (parts: QueryPart[], filters: Record<string, string>, groupBy?: string[]) => () => AggregateRow[]
  /** The same over a range of the marginal tier. */
  marginal: (range: DateRange, filters: Record<string, string>, groupBy?: string[]) => () => AggregateRow[]
}

/** The exact sum of a counter in `exact` plus the noise of its cells over the days [from, to). */
const noisy = (c: Context, exact: AggregateRow | undefined, series: Series, from: number, to: number) => n(exact?.[series.counter]) + c.noise(series, c.sources, from, to)

/** The days [from, to) of a range, as day numbers. */
const daysOf = (range: DateRange) => ({ from: dayNumber(range.from), to: dayNumber(range.to) + 1 })

/** How many cells a figure of the query's range sums: a day of the site's own, and a day of each import that covers it. */
const cellsOf = (c: Pick<Context, 'sources' | 'query'>) => {
  const { from, to } = daysOf(c.query)
  return c.sources.reduce((sum, s) => sum + Math.max(0, Math.min(to, s.to) - Math.max(from, s.from)), 0)
}

/**
 * A share link's answers, remembered for ten minutes: every reader of a shared page asks the same
 * views, and their figures do not change (complete days, fixed noise), while drawing a year of
 * noise for every page of a busy site takes seconds. At most 500, the oldest forgotten first.
 */
export function publicAnswers(store: Store) {
  const held = new Map<string, { until: number; answer: Promise<StatsResult> }>()
  return (query: PublicQuery, now = Date.now()): Promise<StatsResult> => {
    const { now: _asked, link, ...asked } = query
    const key = JSON.stringify([link.seed, link.epsilon, link.panels, asked])
    const kept = held.get(key)
    if (kept && kept.until > now) return kept.answer
    if (held.size >= 500) held.delete(held.keys().next().value!)
    const answer = runPublicStats(store, query)
    held.set(key, { until: now + 600_000, answer })
    answer.catch(() => held.delete(key))
    return answer
  }
}

export async function runPublicStats(store: Store, query: PublicQuery): Promise<StatsResult> {
  const release = releaseOf(query.link, RANGES_PER_DAY)
  const { site } = query
  const imports = query.imports ?? []
  const keys = imports.map((i) => importKey(site, i.id))
  const local = today(query.timezone, query.now)
  const batch = queryBatch(store)
  const read: Context['read'] = (parts, filters, groupBy) => batch.ask({ site, imports: keys, parts, filters, ...(groupBy && { groupBy }) })
  const c: Context = {
    query,
    release,
    noise: noiseOf(query.link, release),
    sources: [
      { key: site, from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY },
      ...imports.map((i) => ({ key: importKey(site, i.id), from: dayNumber(i.from), to: dayNumber(i.to) + 1 })),
    ],
    read,
    marginal: (range, filters, groupBy) => read(marginalParts(range, local), filters, groupBy),
  }
  const previous = query.compare ? previousPeriod(query) : undefined
  const metrics = query.metrics ? metricsOf(c, query) : undefined
  const before = previous && metricsOf(c, previous)
  const chart = query.timeseries ? timeseriesOf(c, local) : undefined
  const breakdowns = query.breakdowns.map((name) => [name, breakdownOf(c, name)] as const)
  await batch.run()

  const cells = cellsOf(c)
  const perKind = (figure: (kind: RecordKind) => number) => Object.fromEntries(KINDS.map((kind) => [kind, figure(kind)])) as unknown as KindFigures
  const result: StatsResult = {
    site,
    timezone: query.timezone,
    from: query.from,
    to: query.to,
    interval: query.interval,
    filters: query.filters,
    public: {
      epsilon: release.epsilon,
      delta: DELTA,
      panels: query.link.panels,
      error: { day: perKind((kind) => round1(errorOf(release, kind, 1))), range: perKind((kind) => round1(errorOf(release, kind, cells))) },
      threshold: perKind((kind) => thresholdOf(release, kind, cells)),
    },
  }
  const imported = imports.filter((i) => i.from <= query.to && i.to >= query.from)
  if (imported.length) result.imported = imported.map((i) => ({ source: i.source, from: i.from, to: i.to, lacks: importLacks(i) }))
  if (metrics) result.metrics = metrics()
  if (previous && before) result.previous = { ...previous, metrics: before() }
  if (chart) result.timeseries = chart()
  if (breakdowns.length) result.breakdowns = Object.fromEntries(breakdowns.map(([name, answer]) => [name, answer()]))
  // What an import in the range does not know is not known here either (unknown.ts).
  blankUnknowns(result, query)
  return result
}

const round1 = (value: number) => Math.round(value * 10) / 10

/** The cell of a kind of record's top line: its filter's value, or the totals. */
function cellOf(c: Context, kind: 'pages' | 'events'): Omit<Series, 'counter'> {
  const [filter] = filtersOf(kind, c.query.filters)
  return filter ? { family: filter[0], parent: '', value: filter[1] } : { family: 'total', parent: '', value: '' }
}

const where = (cell: Omit<Series, 'counter'>) => ({ dimension: cell.family, parent: cell.parent, value: cell.value })

/** The top line of a range: page views, visits and visitors, and events, each a noisy sum. */
function metricsOf(c: Context, range: DateRange): () => Metrics {
  const { from, to } = daysOf(range)
  const [pages, events] = (['pages', 'events'] as const).map((kind) => {
    const cell = cellOf(c, kind)
    const exact = c.marginal(range, where(cell))
    return () => Object.fromEntries(RELEASED[kind].map((counter) => [counter, noisy(c, exact()[0], { ...cell, counter }, from, to)]))
  }) as [() => Record<string, number>, () => Record<string, number>]
  return () => {
    const p = pages()
    const views = shown(p.views!)
    const visits = shown(p.visits!)
    return {
      visitors: shown(p.visitors_day!),
      visits,
      pageviews: views,
      views_per_visit: visits ? Math.round((views / visits) * 100) / 100 : 0,
      events: shown(events().events!),
    }
  }
}

/** The chart: a bucket per day or month of the range, each the noisy sum of its days' cells. */
function timeseriesOf(c: Context, local: string): () => Bucket[] {
  const { query } = c
  const monthly = query.interval === 'month'
  const labelOf = (date: string) => (monthly ? date.slice(0, 7) : date)
  const buckets = new Map<string, { from: number; to: number }>()
  for (let date = query.from; date <= query.to; date = addDays(date, 1)) {
    const day = dayNumber(date)
    const held = buckets.get(labelOf(date))
    if (held) held.to = day + 1
    else buckets.set(labelOf(date), { from: day, to: day + 1 })
  }
  const all = daysOf(query)
  const parts: QueryPart[] = monthly ? marginalParts(query, local) : [{ table: 'daily', ...all }]
  const [pages, events] = (['pages', 'events'] as const).map((kind) => {
    const cell = cellOf(c, kind)
    const timed = parts.map((part) => ({ unit: TABLES[part.table].time, rows: c.read([part], where(cell), ['time']) }))
    return () => {
      const exact = new Map<string, AggregateRow>()
      for (const { unit, rows } of timed) {
        for (const row of rows()) {
          const label = unit === 'month' ? monthOfNumber(n(row.time)) : labelOf(dateOfDay(n(row.time)))
          const held = exact.get(label) ?? {}
          for (const counter of RELEASED[kind]) held[counter] = n(held[counter]) + n(row[counter])
          exact.set(label, held)
        }
      }
      return (label: string, counter: string) => noisy(c, exact.get(label), { ...cell, counter }, buckets.get(label)!.from, buckets.get(label)!.to)
    }
  }) as [() => (label: string, counter: string) => number, () => (label: string, counter: string) => number]
  return () => {
    const page = pages()
    const event = events()
    return [...buckets.keys()].map((bucket) => ({
      bucket,
      visitors: shown(page(bucket, 'visitors_day')),
      visits: shown(page(bucket, 'visits')),
      pageviews: shown(page(bucket, 'views')),
      events: shown(event(bucket, 'events')),
    }))
  }
}

/**
 * How a breakdown's rows are chosen: `open` lists values that were counted, above the threshold;
 * `closed` every value the dimension can hold, above a listing cut; `asked` the value the filter
 * names, which the asker already knows.
 */
type Listing = { mode: 'open' } | { mode: 'closed' | 'asked'; values: readonly string[] }

/** A breakdown of the link's panels: its rows, or the sentence that says why it is not shown. */
function breakdownOf(c: Context, name: BreakdownName): () => BreakdownResult {
  const spec = breakdownSpec(name)
  if (!c.query.link.panels.includes(name)) return () => ({ rows: [], unavailable: `${spec.title} are not part of this shared view.` })
  if (spec.dimension === 'decision') return consentOf(c)
  const kind = dimension(spec.dimension).records[0] as 'pages' | 'events'
  const [filter] = filtersOf(kind, c.query.filters)
  const parent = dimension(spec.dimension).parent
  const closed = closedValues(spec.dimension)
  let filters: Record<string, string>
  let listing: Listing
  if (!filter) {
    filters = { dimension: spec.dimension, ...(!parent && { parent: '' }) }
    listing = closed && !parent ? { mode: 'closed', values: closed } : { mode: 'open' }
  } else if (filter[0] === spec.dimension) {
    filters = { dimension: spec.dimension, parent: '', value: filter[1] }
    listing = { mode: 'asked', values: [filter[1]] }
  } else if (filter[0] === parent) {
    filters = { dimension: spec.dimension, parent: filter[1] }
    listing = { mode: 'open' }
  } else {
    const sentence = `${spec.title} under the filter ${filter[0]}:${filter[1]} are not part of a shared view, which counts one dimension at a time; remove the filter to see them.`
    return () => ({ rows: [], unavailable: sentence })
  }
  const exact = c.marginal(c.query, filters, parent ? ['parent', 'value'] : ['value'])
  return () => ({ rows: ranked(c, spec, kind, exact(), listing) })
}

/** The rows of a breakdown: each value's noisy weight, those listed, heaviest first, with their noisy figures. */
function ranked(c: Context, spec: BreakdownSpec, kind: 'pages' | 'events', exact: AggregateRow[], listing: Listing): BreakdownRow[] {
  const { from, to } = daysOf(c.query)
  const cells = cellsOf(c)
  const family = spec.dimension
  const candidates =
    listing.mode === 'open'
      ? exact.map((row) => ({ parent: row.parent === undefined ? '' : String(row.parent), value: String(row.value), row }))
      : listing.values.map((value) => ({ parent: '', value, row: exact.find((r) => String(r.value) === value) }))
  const cut = listing.mode === 'open' ? thresholdOf(c.release, kind, cells) : listing.mode === 'closed' ? listedFrom(c.release, kind, cells) : Number.NEGATIVE_INFINITY
  // Each candidate's noisy figures, drawn once: its weight reads some, a listed row shows them all.
  const figures = new Map<(typeof candidates)[number], Map<string, number>>()
  const figure = (candidate: (typeof candidates)[number], counter: string) => {
    let drawn = figures.get(candidate)
    if (!drawn) figures.set(candidate, (drawn = new Map()))
    let value = drawn.get(counter)
    if (value === undefined) drawn.set(counter, (value = noisy(c, candidate.row, { family, parent: candidate.parent, value: candidate.value, counter }, from, to)))
    return value
  }
  const weighed = candidates.map((candidate) => ({ candidate, weight: Math.max(...weightCounters(spec.weight).map((counter) => figure(candidate, counter))) }))
  const hasParent = dimension(family).parent !== undefined
  return weighed
    .filter((w) => w.weight >= cut)
    .sort((a, b) => b.weight - a.weight || byCodePoint(a.candidate.parent, b.candidate.parent) || byCodePoint(a.candidate.value, b.candidate.value))
    .slice(0, c.query.limit)
    .map(({ candidate }) => {
      const row: BreakdownRow = { value: candidate.value, ...(hasParent && { parent: candidate.parent }) }
      if (kind === 'events') return { ...row, count: shown(figure(candidate, 'events')) }
      return { ...row, visitors: shown(figure(candidate, 'visitors_day')), visits: shown(figure(candidate, 'visits')), pageviews: shown(figure(candidate, 'views')) }
    })
}

/** Consent decisions (a closed list) with their rates, and the categories offered (open: site-defined names), granted or refused. */
function consentOf(c: Context): () => BreakdownResult {
  const decisions = c.marginal(c.query, { dimension: 'decision', parent: '' }, ['value'])
  const categories = c.marginal(c.query, { dimension: 'category', parent: '' }, ['value'])
  const { from, to } = daysOf(c.query)
  const decided = (family: string, value: string, rows: AggregateRow[]) =>
    noisy(
      c,
      rows.find((r) => String(r.value) === value),
      { family, parent: '', value, counter: 'decisions' },
      from,
      to,
    )
  return () => {
    const counts = CONSENT_DECISIONS.map((value) => ({ value, count: shown(decided('decision', value, decisions())) }))
    const all = counts.reduce((sum, row) => sum + row.count, 0)
    const cut = listedFrom(c.release, 'consents', cellsOf(c))
    const rows = counts
      .filter((row) => row.count >= cut)
      .sort((a, b) => b.count - a.count || byCodePoint(a.value, b.value))
      .map((row) => ({ ...row, rate: all ? Math.round((row.count / all) * 10_000) / 10_000 : 0 }))
    const threshold = thresholdOf(c.release, 'consents', cellsOf(c))
    const names = [...new Set(categories().map((r) => String(r.value).split(':')[0]!))]
    const offered = names
      .map((category) => {
        const granted = decided('category', `${category}:granted`, categories())
        const refused = decided('category', `${category}:refused`, categories())
        return { category, granted, refused }
      })
      .filter((row) => Math.max(row.granted, row.refused) >= threshold)
      .map(({ category, granted, refused }) => {
        const g = shown(granted)
        const r = shown(refused)
        return { category, granted: g, refused: r, rate: g + r ? Math.round((g / (g + r)) * 10_000) / 10_000 : 0 }
      })
      .sort((a, b) => byCodePoint(a.category, b.category))
    return { rows, categories: offered }
  }
}
