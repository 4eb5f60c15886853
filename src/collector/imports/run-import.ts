import type { Row } from '../schema.js'
import { importKey, type Site, type SiteImport } from '../sites/sites.js'
import type { Store } from '../stores/store.js'
import { type ExportFile, linesOf } from './export-files.js'
import { addGaps, addRows, addUnknown, type Contribution, type ExportTable, type Gaps, gated, type Header, noGaps, readHeader, readLine } from './export-table.js'

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
  const tables = files.flatMap((file) => {
    const table = plan.tableOf(file.name)
    return table ? [{ file, table }] : []
  })
  const notes = files.filter((f) => !plan.tableOf(f.name)).map((f) => `${f.name}: not a table of a ${plan.source} export, skipped`)
  if (!tables.length) throw new Error(`no table of a ${plan.source} export among ${files.length} file(s): ${files.map((f) => f.name).join(', ') || 'none'}`)
  const missing = (plan.tables ?? []).filter((table) => !tables.some((t) => t.table === table))
  for (const table of missing) if (table.missing !== '') notes.push(`${table.name}: not in the export: ${table.missing ?? "what it holds is not known for the import's days"}`)
  const total = tables.reduce((sum, t) => sum + t.file.bytes, 0)

  // Pass 1: every line checked; the days seen.
  const refusals: Refusal[] = []
  let more = 0
  let first = ''
  let last = ''
  let lines = 0
  let skipped = 0
  let done = 0
  // The check pass makes each line's contributions too, with memories of its own, so that a value
  // the gate refuses refuses the import before anything is written.
  const checking = new Map<ExportTable, unknown>()
  for (const { file, table } of tables) {
    let header: Header | undefined
    let shown = 0
    if (!checking.has(table)) checking.set(table, table.memory?.())
    const refuse = (line: number, rule: string) => {
      if (shown++ < SHOWN) refusals.push({ file: file.name, line, rule })
      else more++
    }
    const skips = new Map<string, number>()
    for await (const { line, fields } of linesOf(file, (bytes) => progress({ file: file.name, done: (done += bytes), total, pass: 'check' }))) {
      if (!header) {
        const read = readHeader(table, fields)
        if ('broken' in read || 'missing' in read) {
          refuse(line, 'broken' in read ? read.broken : `the header lacks the column(s) ${read.missing.join(', ')} of the ${table.name} table`)
          break
        }
        header = read
        if (read.ignored.length) notes.push(`${file.name}: column(s) ${read.ignored.join(', ')} have no counterpart, not kept`)
        if (read.absent.length) notes.push(`${file.name}: an older export, without ${read.absent.map((c) => (table.newer?.[c] ? `${c} (${table.newer[c]})` : c)).join(', ')}`)
        continue
      }
      const checked = readLine(table, header, fields, site.timezone)
      const made = checked.ok && !checked.skip && gated(table, checked.text, table.contributions(checked.text, checked.counts, checked.time, checking.get(table)))
      if (!checked.ok) refuse(line, checked.rule)
      else if (checked.skip) skips.set(checked.skip, (skips.get(checked.skip) ?? 0) + 1)
      else if (made && 'refused' in made) refuse(line, made.refused)
      else {
        lines++
        const { date } = checked.time
        if (!first || date < first) first = date
        if (date > last) last = date
      }
    }
    for (const [why, count] of skips) {
      notes.push(`${file.name}: ${count.toLocaleString('en')} line(s) skipped: ${why}`)
      skipped += count
    }
  }
  if (refusals.length) throw new ImportRefused(refusals, more)
  if (!lines) throw new Error(`nothing to import: the ${tables.length} table(s) hold no line${skipped ? ` but the ${skipped} skipped (${notes.join('; ')})` : ''}`)

  // Pass 2: the earlier rows of this import deleted, then its rows written in bounded batches.
  const id = `${plan.source}-${first.replaceAll('-', '')}-${last.replaceAll('-', '')}`
  const key = importKey(site.id, id)
  await store.expireMarginals(key, { hour: Infinity, day: Infinity, month: Infinity })
  let rows = new Map<string, Row>()
  let written = 0
  const flush = async () => {
    await store.write([...rows.values()])
    written += rows.size
    rows = new Map()
  }
  done = 0
  // One memory per table for the whole pass: files of one table (GoatCounter's exports of
  // successive ranges) are read in name order as one sequence of lines.
  const memories = new Map<ExportTable, unknown>()
  // What the import does not know: what it knew not to before its first line, then each line's.
  const gaps = gapsBefore(files, missing, first)
  for (const { file, table } of tables) {
    let header: Header | undefined
    if (!memories.has(table)) memories.set(table, table.memory?.())
    const memory = memories.get(table)
    for await (const { fields } of linesOf(file, (bytes) => progress({ file: file.name, done: (done += bytes), total, pass: 'write' }))) {
      if (!header) {
        header = readHeader(table, fields) as Header
        continue
      }
      const checked = readLine(table, header, fields, site.timezone)
      if (checked.ok && !checked.skip) {
        // The check pass refused any line the gate refuses: here every contribution passes.
        const contributions = gated(table, checked.text, table.contributions(checked.text, checked.counts, checked.time, memory)) as Contribution[]
        addGaps(gaps, contributions)
        addRows(rows, key, site.timezone, checked.time, contributions)
      }
      if (rows.size >= BATCH) await flush()
    }
  }
  await flush()
  for (const [table, memory] of memories) for (const note of table.notes?.(memory) ?? []) notes.push(`${table.name}: ${note}`)
  return {
    import: {
      id,
      source: plan.source,
      from: first,
      to: last,
      tables: tables.map((t) => (plan.record === 'files' ? t.file.name : t.table.name)),
      lines,
      at: new Date().toISOString(),
      ...gapsOf(gaps),
    },
    notes,
    rows: written,
    skipped,
  }
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
