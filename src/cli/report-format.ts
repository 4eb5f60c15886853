import type { StatsResult } from '../collector/stats.js'
import { statsCsv } from '../shared/stats-csv.js'

/** Renders a stats result for the terminal (table), for programs (json) or for spreadsheets (csv). */
export function formatReport(result: StatsResult, format: 'table' | 'json' | 'csv'): string {
  if (format == 'json') return JSON.stringify(result, null, 2) + '\n'
  if (format == 'csv') return statsCsv(result)
  const lines = [`${result.site}  ${result.from} – ${result.to}  (${result.timezone})`]
  const filters = Object.entries(result.filters).map(([k, v]) => `${k}=${v}`)
  if (filters.length) lines.push(`filters: ${filters.join(', ')}`)
  lines.push('')
  for (const [metric, value] of Object.entries(result.metrics)) {
    const previous = result.previous?.metrics[metric as keyof typeof result.metrics]
    const change = previous === undefined ? '' : previous ? `  (${value >= previous ? '+' : ''}${Math.round(((value - previous) / previous) * 100)}% vs ${previous})` : `  (previous ${previous})`
    lines.push(`${metric.padEnd(24)}${String(value).padStart(10)}${change}`)
  }
  if (result.breakdown) {
    const { rows, dimension } = result.breakdown
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => String(r[c as keyof typeof r] ?? '').length))))
    lines.push('', `by ${dimension}`, columns.map((c, i) => c.padEnd(widths[i]!)).join('  '))
    for (const row of rows) lines.push(columns.map((c, i) => String(row[c as keyof typeof row] ?? '').slice(0, 60).padEnd(widths[i]!)).join('  '))
  }
  return lines.join('\n') + '\n'
}
