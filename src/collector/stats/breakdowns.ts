import { type BreakdownName, type BreakdownSpec, breakdown as breakdownSpec, dimension, type RecordKind } from '../../shared/dimensions.js'
import type { BreakdownResult } from '../../shared/stats-types.js'
import type { AggregateRow, QueryPart } from '../stores/store.js'
import { byCodePoint } from './batch.js'
import { consentBreakdown } from './consents.js'
import { listed, listedRanked } from './listing.js'
import { n } from './metrics.js'
import { marginalParts } from './periods.js'
import { breakdownSource, filtersOf, filterWords, unavailable } from './plan.js'
import { detailTable, type Reads } from './reads.js'

/** Asks what a breakdown needs (plan.ts decides the tier), and returns how to read its answer once the batch has run. */
export function breakdownOf(reads: Reads, name: BreakdownName): () => BreakdownResult {
  const spec = breakdownSpec(name)
  const records = dimension(spec.dimension).records[0] as RecordKind
  if (records === 'consents') return consentBreakdown(reads, spec)
  const { query, range } = reads
  const filters = filtersOf(records, query.filters)
  const source = breakdownSource(spec, filters)
  const { parent } = dimension(spec.dimension)
  if (source.tier === 'marginal') {
    const rows = listed(reads, spec, records, { parts: marginalParts(range, reads.local), filters: source.filters, groupBy: parent ? ['parent', 'value'] : ['value'] })
    return () => ({ rows: rows() })
  }
  // What a breakdown the detail tier cannot answer says instead, with the records it lacks.
  const notAnswered = (lacking: number): BreakdownResult => ({
    rows: [],
    unavailable: unavailable(`${spec.title} under ${filterWords(filters)}`, query.site, range, reads.window, lacking),
  })
  if (!reads.mayUseDetail(range)) return () => notAnswered(0)
  const parts: QueryPart[] = [{ table: detailTable(records), ...reads.hours(range) }]
  const where = Object.fromEntries(filters)
  const groupBy = parent ? [parent, spec.dimension] : [spec.dimension]
  const rows = spec.dimension === 'prop' ? propsFromDetail(reads, spec, parts, where) : listed(reads, spec, records, { parts, filters: where, groupBy })
  return () => {
    const lacking = reads.undetailed(range)
    return lacking ? notAnswered(lacking) : { rows: rows() }
  }
}

/** Event properties under filters: the detail tier keeps an event's props as one JSON object, unpacked here. */
function propsFromDetail(reads: Reads, spec: BreakdownSpec, parts: QueryPart[], where: Record<string, string>) {
  const groups = reads.ask({ site: reads.query.site, parts, filters: where, groupBy: ['name', 'props'] })
  return () => listedRanked(propPairs(groups()), spec, reads.query)
}

/** Each (event, key=value) pair of the detail tier's groups with its events, heaviest first, then in byte order. */
function propPairs(groups: AggregateRow[]): AggregateRow[] {
  const pairs = new Map<string, AggregateRow>()
  for (const group of groups) {
    for (const [key, value] of Object.entries(JSON.parse(String(group.props) || '{}') as Record<string, string>)) {
      const id = JSON.stringify([group.name, `${key}=${value}`])
      const held = pairs.get(id) ?? { parent: String(group.name), value: `${key}=${value}`, events: 0 }
      held.events = n(held.events) + n(group.events)
      pairs.set(id, held)
    }
  }
  return [...pairs.values()].sort((a, b) => n(b.events) - n(a.events) || byCodePoint(String(a.parent), String(b.parent)) || byCodePoint(String(a.value), String(b.value)))
}
