/**
 * CSV of a stats answer, one writer for `quietcount report --format csv` and the dashboard's
 * export buttons, so that both give the same file for the same query.
 */

/** A CSV field, quoted when it must be (RFC 4180): for data another program reads back exactly. */
export const csvQuoted = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/** A CSV field for people's spreadsheets: quoted, and defused against formulas. */
const csvField = (value: unknown) => {
  const text = value === undefined ? '' : String(value)
  return csvQuoted(/^[=+\-@\t\r]/.test(text) ? `'${text}` : text)
}

export const toCsv = (rows: readonly object[]): string => {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  return `${[columns, ...rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]))].map((line) => line.map(csvField).join(',')).join('\n')}\n`
}

/** The rows of a breakdown as CSV, or the time series when there is none. */
export const statsCsv = (result: { breakdown?: { rows: readonly object[] }; timeseries?: readonly object[] }) => toCsv(result.breakdown?.rows ?? result.timeseries ?? [])
