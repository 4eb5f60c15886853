/**
 * CSV of a stats answer, one writer for `quietcount report --format csv` and the dashboard's
 * export buttons, so that both give the same file for the same query.
 */

/** A CSV field, quoted when it must be (RFC 4180), and defused against spreadsheet formulas. */
const csvField = (value: unknown) => {
  let text = value === undefined ? '' : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const toCsv = (rows: readonly object[]): string => {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  return `${[columns, ...rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]))].map((line) => line.map(csvField).join(',')).join('\n')}\n`
}

/** The rows of a breakdown as CSV, or the time series when there is none. */
export const statsCsv = (result: { breakdown?: { rows: readonly object[] }; timeseries?: readonly object[] }) => toCsv(result.breakdown?.rows ?? result.timeseries ?? [])
