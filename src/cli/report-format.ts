import type { BreakdownName } from '../shared/dimensions.js'
import { breakdown } from '../shared/dimensions.js'
import { statsCsv } from '../shared/stats-csv.js'
import type { StatsResult } from '../shared/stats-types.js'

/** A figure an import in the range has no count for (stats-types.ts Figure). */
const NOT_KNOWN = 'unknown'

/** Renders a stats result for the terminal (table), for programs (json) or for spreadsheets (csv: one breakdown, or the time series). */
export function formatReport(result: StatsResult, format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`
  const breakdowns = Object.entries(result.breakdowns ?? {})
  if (format === 'csv') {
    // An empty file would read as "nothing counted": a part the range cannot answer is an error.
    const why = breakdowns.length ? breakdowns[0]![1].unavailable : result.unavailable?.timeseries
    if (why) throw new Error(why)
    return statsCsv({ breakdown: breakdowns[0]?.[1], timeseries: result.timeseries })
  }
  const lines = [`${result.site}  ${result.from} – ${result.to}  (${result.timezone})`]
  const filters = Object.entries(result.filters).map(([k, v]) => `${k}=${v}`)
  if (filters.length) lines.push(`filters: ${filters.join(', ')}`)
  for (const sentence of Object.values(result.unavailable ?? {})) lines.push(`note: ${sentence}`)
  if (result.metrics) {
    lines.push('')
    for (const [metric, value] of Object.entries(result.metrics)) {
      const previous = result.previous?.metrics?.[metric as keyof typeof result.metrics]
      const change =
        previous === undefined
          ? ''
          : previous && value !== null
            ? `  (${value >= previous ? '+' : ''}${Math.round(((value - previous) / previous) * 100)}% vs ${previous})`
            : `  (previous ${previous ?? NOT_KNOWN})`
      lines.push(`${metric.padEnd(24)}${(value ?? NOT_KNOWN).toString().padStart(10)}${change}`)
    }
  }
  for (const [name, { rows, unavailable }] of breakdowns) {
    lines.push('', `by ${name} (${breakdown(name as BreakdownName).title})`)
    if (unavailable) {
      lines.push(unavailable)
      continue
    }
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const cell = (row: (typeof rows)[number], column: string) => {
      const value = row[column as keyof typeof row]
      return value === null ? NOT_KNOWN : String(value ?? '')
    }
    const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r, c).length))))
    lines.push(columns.map((c, i) => c.padEnd(widths[i]!)).join('  '))
    for (const row of rows) lines.push(columns.map((c, i) => cell(row, c).slice(0, 60).padEnd(widths[i]!)).join('  '))
  }
  return `${lines.join('\n')}\n`
}
