import type { Row } from '../schema.js'
import { importKey, type Site, type SiteImport } from '../sites/sites.js'
import type { Store } from '../stores/store.js'
import { type CsvLine, type ExportFile, linesOf } from './export-files.js'
import { addGaps, addRows, addUnknown, type Contribution, type ExportTable, type Gaps, gated, type Header, type LineTime, noGaps, readHeader, readLine } from './export-table.js'

/**
 * An import, in two passes over its files: the first checks every line and finds the days it
 * covers, the second (only when no line was refused) writes. Its rows go under a key of their own,
 * `site/import-id`, which the stats read beside the site's (AggregateQuery.imports): importing the
 * same export again deletes that key's rows first, so it replaces instead of adding, and
 * `quietcount import remove` takes exactly what the import brought.
 */

/** Refused lines shown per file; the rest are counted. */
const SHOWN = 20
/**
 * Merged rows held before a write: bounded memory whatever the size of the export. Each value
 * kept has a bound of its own (paths 200 characters, names 64), and a batch is copied on its way
 * to the store: 2,000 of the widest rows take an import to some 180 MB, 20,000 took it past 256 MB.
 */
const BATCH = 2_000

export interface Refusal {
  file: string
  line: number
  rule: string
}

export interface Progress {
  file: string
  /** Bytes read of this pass (check or write) over all files, and their total. */
  done: number
  total: number
  pass: 'check' | 'write'
}

export interface ImportReport {
  import: SiteImport
  /** Files read for no table of the export, columns without a counterpart, lines skipped and why, to be said to the user. */
  notes: string[]
  rows: number
  /** Good lines left out (a bot's page views), by the table's skip(); not in `import.lines`. */
  skipped: number
}

export class ImportRefused extends Error {
  constructor(
    readonly refusals: Refusal[],
    readonly more: number,
  ) {
    super(`nothing imported: ${refusals.length + more} line(s) refused\n${refusals.map((r) => `${r.file}:${r.line}: ${r.rule}`).join('\n')}${more ? `\n… and ${more} more` : ''}`)
  }
}

export interface Plan {
  source: SiteImport['source']
  /** The table of a file from its name, or undefined for a file that is not part of the export. */
  tableOf(name: string): ExportTable | undefined
  /** What the registry's `tables` lists: the tables read (default), or the files, for an export of one table that may come in several files (GoatCounter's). */
  record?: 'tables' | 'files'
  /** Every table of the source's export, so that one the export has no file of is known to be missing (older Plausible exports have no custom_events). */
  tables?: readonly ExportTable[]
}

/** Checks and then imports `files` into the marginal tier of `site`; resolves with what was imported, or rejects with ImportRefused and nothing written. */
export async function runImport(store: Store, site: Site, files: ExportFile[], plan: Plan, progress: (p: Progress) => void = () => {}): Promise<ImportReport> {
  const { tables, missing, notes } = tablesOf(files, plan)
  const total = tables.reduce((sum, t) => sum + t.file.bytes, 0)
  const days = await checkPass(site, tables, notes, reader('check', total, progress))
  const id = `${plan.source}-${days.first.replaceAll('-', '')}-${days.last.replaceAll('-', '')}`
  const key = importKey(site.id, id)
  // An import of the same export (the same days) replaces the earlier one instead of adding to it.
  await store.expireMarginals(key, { hour: Infinity, day: Infinity, month: Infinity })
  // What the import does not know: what it knew not to before its first line, then each line's.
  const gaps = gapsBefore(files, missing, days.first)
  const rows = await writePass(store, site, key, tables, gaps, notes, reader('write', total, progress))
  return {
    import: {
      id,
      source: plan.source,
      from: days.first,
      to: days.last,
      tables: tables.map((t) => (plan.record === 'files' ? t.file.name : t.table.name)),
      lines: days.lines,
      at: new Date().toISOString(),
      ...gapsOf(gaps),
    },
    notes,
    rows,
    skipped: days.skipped,
  }
}

/** A file with its table. */
interface TableFile {
  file: ExportFile
  table: ExportTable
}

/** The files that are tables of the export, the export's tables that have none, and the notes on both. */
function tablesOf(files: readonly ExportFile[], plan: Plan): { tables: TableFile[]; missing: ExportTable[]; notes: string[] } {
  const tables = files.flatMap((file) => {
    const table = plan.tableOf(file.name)
    return table ? [{ file, table }] : []
  })
  const notes = files.filter((f) => !plan.tableOf(f.name)).map((f) => `${f.name}: not a table of a ${plan.source} export, skipped`)
  if (!tables.length) throw new Error(`no table of a ${plan.source} export among ${files.length} file(s): ${files.map((f) => f.name).join(', ') || 'none'}`)
  const missing = (plan.tables ?? []).filter((table) => !tables.some((t) => t.table === table))
  for (const table of missing) if (table.missing !== '') notes.push(`${table.name}: not in the export: ${table.missing ?? "what it holds is not known for the import's days"}`)
  return { tables, missing, notes }
}

/** The lines of a file, read in one pass. */
type Lines = (file: ExportFile) => AsyncGenerator<CsvLine>

/** The lines of one pass's files, its progress told in bytes read over all of them. */
function reader(pass: Progress['pass'], total: number, progress: (p: Progress) => void): Lines {
  let done = 0
  return (file) => linesOf(file, (bytes) => progress({ file: file.name, done: (done += bytes), total, pass }))
}

/**
 * One memory per table for a whole pass: files of one table (GoatCounter's exports of successive
 * ranges) are read in name order as one sequence of lines.
 */
function memoriesOf(tables: readonly TableFile[]): Map<ExportTable, unknown> {
  const memories = new Map<ExportTable, unknown>()
  for (const { table } of tables) if (!memories.has(table)) memories.set(table, table.memory?.())
  return memories
}

/** What the check pass found: the first and last day, the lines to import and the good lines skipped. */
interface Days {
  first: string
  last: string
  lines: number
  skipped: number
}

/** Pass 1: every line checked and the days seen; throws (ImportRefused) when a line is refused, or when there is nothing to import. */
async function checkPass(site: Site, tables: readonly TableFile[], notes: string[], lines: Lines): Promise<Days> {
  const days: Days = { first: '', last: '', lines: 0, skipped: 0 }
  const refusals: Refusal[] = []
  let more = 0
  // The check pass makes each line's contributions too, with memories of its own, so that a value
  // the gate refuses refuses the import before anything is written.
  const memories = memoriesOf(tables)
  for (const { file, table } of tables) {
    let shown = 0
    const skips = new Map<string, number>()
    for await (const seen of checkedLines(file, table, lines(file), site.timezone, memories.get(table), notes)) {
      if ('refused' in seen) {
        if (shown++ < SHOWN) refusals.push({ file: file.name, line: seen.line, rule: seen.refused })
        else more++
      } else if ('skip' in seen) skips.set(seen.skip, (skips.get(seen.skip) ?? 0) + 1)
      else {
        days.lines++
        if (!days.first || seen.date < days.first) days.first = seen.date
        if (seen.date > days.last) days.last = seen.date
      }
    }
    for (const [why, count] of skips) {
      notes.push(`${file.name}: ${count.toLocaleString('en')} line(s) skipped: ${why}`)
      days.skipped += count
    }
  }
  if (refusals.length) throw new ImportRefused(refusals, more)
  if (!days.lines) throw new Error(`nothing to import: the ${tables.length} table(s) hold no line${days.skipped ? ` but the ${days.skipped} skipped (${notes.join('; ')})` : ''}`)
  return days
}

/** What the check pass sees in each line of one file: the rule it breaks, why it is skipped, or its day. A file whose header is refused is read no further. */
async function* checkedLines(
  file: ExportFile,
  table: ExportTable,
  lines: AsyncGenerator<CsvLine>,
  timezone: string,
  memory: unknown,
  notes: string[],
): AsyncGenerator<{ line: number; refused: string } | { skip: string } | { date: string }> {
  let header: Header | undefined
  for await (const { line, fields } of lines) {
    if (!header) {
      const read = checkHeader(file, table, fields, notes)
      if ('refused' in read) {
        yield { line, refused: read.refused }
        return
      }
      header = read
      continue
    }
    const made = contributionsOf(table, header, fields, timezone, memory)
    if ('refused' in made) yield { line, refused: made.refused }
    else if ('skip' in made) yield made
    else yield { date: made.time.date }
  }
}

/** The header of a file, with the notes on its columns; or the rule it breaks. */
function checkHeader(file: ExportFile, table: ExportTable, fields: string[], notes: string[]): Header | { refused: string } {
  const read = readHeader(table, fields)
  if ('broken' in read) return { refused: read.broken }
  if ('missing' in read) return { refused: `the header lacks the column(s) ${read.missing.join(', ')} of the ${table.name} table` }
  if (read.ignored.length) notes.push(`${file.name}: column(s) ${read.ignored.join(', ')} have no counterpart, not kept`)
  if (read.absent.length) notes.push(`${file.name}: an older export, without ${read.absent.map((c) => (table.newer?.[c] ? `${c} (${table.newer[c]})` : c)).join(', ')}`)
  return read
}

/** A data line as both passes read it: its contributions through the gate, or the rule it breaks, or why it is skipped. */
function contributionsOf(
  table: ExportTable,
  header: Header,
  fields: string[],
  timezone: string,
  memory: unknown,
): { refused: string } | { skip: string } | { time: LineTime; contributions: Contribution[] } {
  const checked = readLine(table, header, fields, timezone)
  if (!checked.ok) return { refused: checked.rule }
  if (checked.skip) return { skip: checked.skip }
  const made = gated(table, checked.text, table.contributions(checked.text, checked.counts, checked.time, memory))
  return 'refused' in made ? made : { time: checked.time, contributions: made }
}

/** Pass 2: the rows written under `key` in bounded batches, the tables' notes said; resolves with the rows written. */
async function writePass(store: Store, site: Site, key: string, tables: readonly TableFile[], gaps: Gaps, notes: string[], lines: Lines): Promise<number> {
  let rows = new Map<string, Row>()
  let written = 0
  const flush = async () => {
    await store.write([...rows.values()])
    written += rows.size
    rows = new Map()
  }
  const memories = memoriesOf(tables)
  for (const { file, table } of tables) {
    let header: Header | undefined
    for await (const { fields } of lines(file)) {
      if (!header) {
        header = readHeader(table, fields) as Header
        continue
      }
      // The check pass refused any line the gate refuses: here every line is skipped or contributes.
      const made = contributionsOf(table, header, fields, site.timezone, memories.get(table))
      if ('contributions' in made) {
        addGaps(gaps, made.contributions)
        addRows(rows, key, site.timezone, made.time, made.contributions)
      }
      if (rows.size >= BATCH) await flush()
    }
  }
  await flush()
  for (const [table, memory] of memories) for (const note of table.notes?.(memory) ?? []) notes.push(`${table.name}: ${note}`)
  return written
}

/**
 * What an import knows it does not know before it reads a line: what the mark of QuietCount's own
 * export says its days did not know, and every count a table the export has no file of would have given.
 */
function gapsBefore(files: readonly ExportFile[], missing: readonly ExportTable[], date: string): Gaps {
  const gaps = noGaps()
  for (const mark of new Set(files.flatMap((f) => (f.mark ? [f.mark] : [])))) {
    for (const dimension of mark.lacks ?? []) gaps.lacks.add(dimension)
    for (const [dimension, counters] of Object.entries(mark.unknown ?? {})) for (const counter of counters) addUnknown(gaps, dimension, counter)
  }
  for (const table of missing) addGaps(gaps, table.contributions({}, {}, { date }, table.memory?.()), true)
  return gaps
}

/** Gaps as the registry keeps them (SiteImport's lacks and unknown), sorted, and only when there are any. */
function gapsOf({ lacks, unknown }: Gaps): Pick<SiteImport, 'lacks' | 'unknown'> {
  return {
    ...(lacks.size && { lacks: [...lacks].sort() }),
    ...(unknown.size && { unknown: Object.fromEntries([...unknown].sort(([a], [b]) => (a < b ? -1 : 1)).map(([dimension, counters]) => [dimension, [...counters].sort()])) }),
  }
}
