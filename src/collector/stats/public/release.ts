import { getAllCountries } from 'countries-and-timezones'
import { type BreakdownName, breakdown, dimension, type RecordKind, type Weight } from '../../../shared/dimensions.js'
import { CONSENT_DECISIONS, LIMITS, SCREEN_CLASSES } from '../../../shared/protocol.js'
import type { ShareLink } from '../../sites/sites.js'
import { type Scale, tailQuantile, variance } from './noise.js'

/**
 * What a share link releases, and what that costs in privacy: the accounting behind
 * docs/privacy.md ("Share links").
 *
 * A link releases noisy *cells*: one per source of counts (the site, each import), site-local
 * day, marginal family ('total', or a dimension of one of its panels), value and counter. Every
 * figure it shows is a sum of such cells, so no combination of answers holds anything finer.
 * The unit of privacy is one counted record: a page view (with its visit and visitor flags), an
 * event, a consent decision. One record adds at most 1 to each released counter of each family
 * it touches (an event with props touches up to LIMITS.props cells of `prop`), so the L1
 * sensitivity of everything a link releases is the count below, and discrete Laplace noise of
 * scale L1/ε on every cell makes the whole release ε-differentially private per record.
 *
 * Values of an open family (paths, referrers…) exist only where someone was counted, so showing
 * a row at all tells that someone was: a row is shown only when its noisy weight reaches a
 * threshold that a value counted by one record alone passes with probability at most δ over
 * every range a link may ask (thresholdOf). Closed families (countries, screen classes, devices,
 * consent decisions, the totals) list every possible value whether counted or not, so they need
 * no such threshold.
 */

/** The counters a link releases from every cell a record touches, per kind of record. */
export const RELEASED: Record<RecordKind, readonly string[]> = { pages: ['views', 'visits', 'visitors_day'], events: ['events'], consents: ['decisions'] }
export const KINDS = Object.keys(RELEASED) as RecordKind[]
export const kindOfCounter = (counter: string): RecordKind => KINDS.find((kind) => RELEASED[kind].includes(counter))!

/** The δ of the whole release, per record: the chance that a value counted by that record alone is ever shown. */
export const DELTA = 1e-7

/** Closed families: every value they can hold, counted or not. */
const CLOSED: Record<string, readonly string[]> = {
  total: [''],
  country: ['', ...Object.keys(getAllCountries())],
  screen: ['', ...SCREEN_CLASSES],
  device: ['', 'desktop', 'mobile', 'tablet'],
  decision: CONSENT_DECISIONS,
}
export const closedValues = (family: string): readonly string[] | undefined => CLOSED[family]

/** The family (marginal `dimension`) each panel reads; consent decisions bring their categories. */
export const familiesOfPanel = (panel: BreakdownName): string[] => {
  const family = breakdown(panel).dimension
  return family === 'decision' ? [family, 'category'] : [family]
}

/** The kinds of record that add to a family's cells. */
const kindsOf = (family: string): readonly RecordKind[] => (family === 'total' ? ['pages', 'events'] : dimension(family as never).records)

/** The most cells of a family one record touches: one, but for an event's props and a decision's categories. */
const cellsPerRecord = (family: string) => (family === 'prop' ? LIMITS.props : family === 'category' ? LIMITS.categories : 1)

/** How many released counters a row's weight reads: the larger of visitors and visits is two; a category's granted or refused, two. */
const weightCounters = (weight: Weight, family: string) => (weight === 'people' || family === 'category' ? 2 : 1)

export interface Release {
  epsilon: number
  /** Per kind of record, the noise every cell of that kind's counters gets. */
  scale: Record<RecordKind, Scale>
  families: string[]
  /** The δ left for each threshold test: DELTA split over every way one record could make a value shown. */
  deltaPerTest: number
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a)

/**
 * The accounting of a link. `rangesPerDay` is how many different ranges the link's rules let
 * anyone ask that contain a given day (query.ts): each may show a row.
 */
export function releaseOf(link: Pick<ShareLink, 'epsilon' | 'panels'>, rangesPerDay: number): Release {
  const families = ['total', ...new Set(link.panels.flatMap(familiesOfPanel))]
  const hundredths = Math.round(link.epsilon * 100)
  const scale = Object.fromEntries(
    KINDS.map((kind) => {
      const l1 = families.filter((f) => kindsOf(f).includes(kind)).reduce((sum, f) => sum + RELEASED[kind].length * cellsPerRecord(f), 0)
      // ε = hundredths/100, so the scale L1/ε is (100·L1)/hundredths, kept as whole numbers.
      const divisor = gcd(hundredths, 100 * Math.max(l1, 1))
      return [kind, { s: hundredths / divisor, t: (100 * Math.max(l1, 1)) / divisor }]
    }),
  ) as Record<RecordKind, Scale>
  // Each panel of an open family is a test a new value could pass; a family a record touches
  // several times (props, categories) is as many tests.
  const tests = link.panels.flatMap((panel) =>
    familiesOfPanel(panel)
      .filter((family) => !CLOSED[family])
      .map((family) => cellsPerRecord(family) * weightCounters(breakdown(panel).weight, family)),
  )
  const count = tests.reduce((a, b) => a + b, 0)
  return { epsilon: link.epsilon, scale, families, deltaPerTest: count ? DELTA / (rangesPerDay * count) : DELTA }
}

const remembered = new Map<string, number>()
const quantile = (scale: Scale, days: number, delta: number) => {
  const key = `${scale.s}/${scale.t} ${days} ${delta}`
  let value = remembered.get(key)
  if (value === undefined) {
    if (remembered.size > 10_000) remembered.clear()
    remembered.set(key, (value = tailQuantile(scale, days, delta)))
  }
  return value
}

/**
 * The least noisy weight a row of an open family needs to be shown when it sums `cells` cells (a
 * range's days, and the days of imports in it): a value counted once is 1 plus the noise of those
 * cells, which reaches it with probability at most the release's δ per test.
 */
export const thresholdOf = (release: Release, kind: RecordKind, cells: number) => quantile(release.scale[kind], cells, release.deltaPerTest) + 1

/**
 * The least noisy weight a row of a closed family needs to be listed. Any cut is safe there (the
 * values are known beforehand); this one keeps a value nobody was counted for off the list
 * (at most one chance in 10,000 per value).
 */
export const listedFrom = (release: Release, kind: RecordKind, cells: number) => quantile(release.scale[kind], cells, 1e-4)

/** One standard deviation of the noise on a figure that sums `cells` cells. */
export const errorOf = (release: Release, kind: RecordKind, cells: number) => Math.sqrt(cells * variance(release.scale[kind]))
