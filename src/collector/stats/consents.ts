import type { BreakdownSpec } from '../../shared/dimensions.js'
import type { BreakdownResult, BreakdownRow } from '../../shared/stats-types.js'
import type { AggregateRow } from '../stores/store.js'
import { byCodePoint } from './batch.js'
import { listed } from './listing.js'
import { n, ratio, sum } from './metrics.js'
import { marginalParts } from './periods.js'
import type { Reads } from './reads.js'

/** Consent decisions are counted alone, never with a page: no filter narrows them, so marginals answer any range. */
export function consentBreakdown(reads: Reads, spec: BreakdownSpec): () => BreakdownResult {
  const { site, k } = reads.query
  const parts = marginalParts(reads.range, reads.local)
  const decisions = { dimension: 'decision', parent: '' }
  const rows = listed(reads, spec, 'consents', { parts, filters: decisions, groupBy: ['value'] })
  const total = reads.ask({ site, parts, filters: decisions })
  const categories = reads.ask({ site, parts, filters: { dimension: 'category', parent: '' }, groupBy: ['value'] })
  return () => {
    const all = sum(total(), 'decisions')
    const withRate = (row: BreakdownRow): BreakdownRow => ({ ...row, rate: ratio(row.count!, all, 4) })
    return { rows: rows().map(withRate), categories: grantedByCategory(categories()).filter((c) => c.granted + c.refused >= k) }
  }
}

/** How often each category was granted and refused (rows `analytics:granted`, `analytics:refused`), in byte order of the categories. */
function grantedByCategory(groups: AggregateRow[]) {
  const byCategory = new Map<string, { granted: number; refused: number }>()
  for (const group of groups) {
    const [category, answer] = String(group.value).split(':') as [string, 'granted' | 'refused']
    const counts = byCategory.get(category) ?? { granted: 0, refused: 0 }
    counts[answer] += n(group.decisions)
    byCategory.set(category, counts)
  }
  return [...byCategory].map(([category, c]) => ({ category, ...c, rate: ratio(c.granted, c.granted + c.refused, 4) })).sort((a, b) => byCodePoint(a.category, b.category))
}
