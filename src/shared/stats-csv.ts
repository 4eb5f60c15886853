/**
 * CSV of a stats answer, one writer for `quietcount report --format csv` and the dashboard's
 * export buttons, so that both give the same file for the same query; and the one rule that
 * keeps a spreadsheet from running a cell (`quietcount export plausible` follows it too).
 */

/** A CSV field, quoted when it must be (RFC 4180): for data another program reads back exactly. */
export const csvQuoted = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/**
 * A cell a spreadsheet would take for a formula (OWASP, "CSV injection"): one that begins with
 * = + - @, a tab or a carriage return, here behind any apostrophes already there, so that the
 * defusing below can be undone exactly.
 */
const FORMULA = /^'*[=+\-@\t\r]/

/** A cell as a spreadsheet shows it as text: a formula-like cell gets one more leading apostrophe. */
export const defused = (text: string) => (FORMULA.test(text) ? `'${text}` : text)

/**
 * The cell defused() was given: one apostrophe fewer on a formula-like cell that has one. Exact
 * for every cell defused() wrote (`=1` → `'=1` → `=1`; `'=1` → `''=1` → `'=1`; `'a` stays), so
 * only for files known to be defused (an import of QuietCount's own export).
 */
export const undefused = (text: string) => (text.startsWith("'") && FORMULA.test(text) ? text.slice(1) : text)

/** A CSV field for people's spreadsheets: quoted, and defused against formulas. */
const csvField = (value: unknown) => {
  // A figure not known (null) is an empty cell, as a count nobody has.
  const text = value === undefined || value === null ? '' : String(value)
  return csvQuoted(defused(text))
}

export const toCsv = (rows: readonly object[]): string => {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  return `${[columns, ...rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]))].map((line) => line.map(csvField).join(',')).join('\n')}\n`
}

/** The rows of a breakdown as CSV, or the time series when there is none. */
export const statsCsv = (result: { breakdown?: { rows: readonly object[] }; timeseries?: readonly object[] }) => toCsv(result.breakdown?.rows ?? result.timeseries ?? [])
