import { type Row, TABLES } from '../../src/collector/schema.js'
import type { AggregateQuery, AggregateRow, Store } from '../../src/collector/stores/store.js'

/**
 * The reference the stores are compared with: rows kept in an array, every query answered with
 * plain loops, in the words of store.ts's contract. Obviously right, and slow.
 */
export function referenceStore(): Store & { rows: Row[] } {
  const rows: Row[] = []
  const cutoffs = new Map<string, number>()
  const replays = new Map<string, number>()
  const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))
  const weightOf = (group: AggregateRow, weight: string) => (weight === 'people' ? Math.max(Number(group.visitors_day), Number(group.visits)) : Number(group[weight]))

  function answer(q: AggregateQuery): AggregateRow[] {
    const spec = TABLES[q.parts[0]!.table]
    const groups = new Map<string, AggregateRow>()
    const groupBy = q.groupBy ?? []
    const columnValue = (row: Row, column: string) => (column === 'time' ? row.time : (row.dims[column] ?? ''))
    for (const row of rows) {
      if ((row.site !== q.site && !q.imports?.includes(row.site)) || !q.parts.some((p) => p.table === row.table && row.time >= p.from && row.time < p.to)) continue
      if (Object.entries(q.filters ?? {}).some(([d, v]) => (row.dims[d] ?? '') !== v)) continue
      const key = JSON.stringify(groupBy.map((g) => columnValue(row, g)))
      const group = groups.get(key) ?? Object.fromEntries([...groupBy.map((g) => [g, columnValue(row, g)]), ...spec.counters.map((c) => [c, 0])])
      for (const c of spec.counters) group[c] = Number(group[c]) + (row.counts[c] ?? 0)
      groups.set(key, group)
    }
    let result = [...groups.values()]
    // SUM without GROUP BY answers one row, of zeros when nothing matched.
    if (!groupBy.length && !result.length) result = [Object.fromEntries(spec.counters.map((c) => [c, 0]))]
    const byGroup = (a: AggregateRow, b: AggregateRow) => {
      for (const g of groupBy) {
        const order = g === 'time' ? Number(a[g]) - Number(b[g]) : byCodePoint(String(a[g]), String(b[g]))
        if (order) return order
      }
      return 0
    }
    if (!q.weight) return result.sort(byGroup)
    const weight = q.weight
    result = result.filter(
      (g) =>
        (q.min === undefined || weightOf(g, weight) >= q.min) &&
        (q.below === undefined || weightOf(g, weight) < q.below) &&
        (!q.counted || q.counted.some((c) => Number(g[c]) !== 0)),
    )
    if (q.fold) return [{ ...Object.fromEntries(spec.counters.map((c) => [c, result.reduce((s, g) => s + Number(g[c]), 0)])), folded: result.length }]
    const views = (spec.counters as readonly string[]).includes('views') && weight !== 'views'
    result.sort((a, b) => weightOf(b, weight) - weightOf(a, weight) || (views ? Number(b.views) - Number(a.views) : 0) || byGroup(a, b))
    return q.limit === undefined ? result : result.slice(0, q.limit)
  }

  return {
    rows,
    migrate: async () => {},
    write: async (written) => void rows.push(...written),
    async replay(spool, batches) {
      const fresh = batches.filter((batch) => batch.seq > (replays.get(spool) ?? 0))
      for (const batch of fresh) rows.push(...batch.rows)
      if (fresh.length) replays.set(spool, fresh.at(-1)!.seq)
    },
    query: async (queries) => queries.map(answer),
    async expireDetail(site, before) {
      const kept = rows.filter((r) => !(r.site === site && TABLES[r.table].tier === 'detail' && r.time < before))
      const deleted = rows.length - kept.length
      rows.splice(0, rows.length, ...kept)
      cutoffs.set(site, Math.max(cutoffs.get(site) ?? 0, before))
      return deleted
    },
    async expireMarginals(site, before) {
      const kept = rows.filter((r) => !(r.site === site && TABLES[r.table].tier === 'marginal' && r.time < before[TABLES[r.table].time]))
      const deleted = rows.length - kept.length
      rows.splice(0, rows.length, ...kept)
      return deleted
    },
    detailCutoff: async (site) => cutoffs.get(site) ?? 0,
    sites: async () => [...new Set(rows.filter((r) => r.table === 'totals').map((r) => r.site))].sort(),
    ping: async () => {},
    close: async () => {},
  }
}
