import { breakdownOfFilter, type FilterName, type Weight } from '../../shared/dimensions.js'
import type { StatsError } from '../../shared/stats-types.js'
import { today } from '../sites/time-zone.js'
import type { AggregateRow, Store } from '../stores/store.js'
import type { StatsQuery } from './parse-query.js'
import { marginalParts, previousPeriod } from './periods.js'

/**
 * k-anonymity, the owner's optional `k`: a breakdown row that may stand for fewer than k people is
 * folded into "(other)" (listing.ts). A row's weight is what bounds its people best (the registry's
 * `weight` of each breakdown, and its reason). It tidies a token holder's report; it protects no
 * published figure, as differencing undoes it (test/collector/share-differencing.test.ts): share
 * links use differential privacy (stats/public/).
 */

/** The weight of a group, as stores/sql.ts's weightSql() computes it in SQL. */
export const weightOf = (row: AggregateRow, weight: Weight) => (weight === 'people' ? Math.max(Number(row.visitors_day ?? 0), Number(row.visits ?? 0)) : Number(row[weight] ?? 0))

/**
 * Under k-anonymity a filter could isolate a row that the breakdown folds into "(other)", and the
 * totals and time series would then show it. So a filter may name a value that the breakdown of
 * its dimension, over the same range(s), shows as a row of its own, or that has no counts at all
 * (zeros single out nobody): what can be seen can be clicked. The marginal rows answer it at any
 * range. Returns the refusal, or undefined.
 */
export async function refuseUnderK(store: Store, query: StatsQuery): Promise<StatsError | undefined> {
  const [filter] = Object.entries(query.filters) as [FilterName, string][]
  if (query.k === 0 || !filter) return
  const [name, value] = filter
  const { weight } = breakdownOfFilter(name)
  const local = today(query.timezone, query.now)
  for (const { from, to } of query.compare ? [query, previousPeriod(query)] : [query]) {
    const [[group]] = (await store.query([
      { site: query.site, parts: marginalParts({ from, to }, local), filters: { dimension: name, parent: '', value }, groupBy: ['value'] },
    ])) as [AggregateRow[]]
    if (group && weightOf(group, weight) < query.k) {
      return {
        field: 'filter',
        rule: 'k-anonymity',
        message: `filter: ${name}:${JSON.stringify(value)} counts fewer than k = ${query.k} from ${from} to ${to}, so it is only shown within "(other)"`,
      }
    }
  }
}
