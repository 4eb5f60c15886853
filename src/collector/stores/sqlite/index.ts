import { resolve } from 'node:path'
import Database from 'better-sqlite3'
import { marginalBounds, type Row, TABLES, type Table } from '../../schema.js'
import { runMigrations } from '../migrate.js'
import { batchStatements, checkQuery, type Dialect, numbers, scan } from '../sql.js'
import type { AggregateQuery, Store } from '../store.js'
import { MIGRATIONS } from './migrations/index.js'
import { type Step, workerConnection } from './worker-connection.js'

/**
 * Migrations of one file from this process, one after another. Across processes SQLite's own
 * lock does it; within one, a second connection waiting on it would block the very thread the
 * first one needs to finish (busy_timeout sleeps the thread).
 */
const migrating = new Map<string, Promise<unknown>>()

const dialect: Dialect = {
  bind: (value, values) => {
    values.push(value)
    return '?'
  },
  table: (name) => name,
  greatest: 'max',
  byteOrder: '',
  enumerate: true,
  materialized: ' MATERIALIZED',
}

/** One upsert for one row of `table`: the counters of an existing row are added to. */
function upsertSql(table: Table): string {
  const { time, dimensions, counters, key } = TABLES[table]
  const columns = ['site', time, ...dimensions, ...counters]
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
    `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`
  )
}
const UPSERTS = Object.fromEntries((Object.keys(TABLES) as Table[]).map((table) => [table, upsertSql(table)])) as Record<Table, string>
const upsertValues = (row: Row) => {
  const { dimensions, counters } = TABLES[row.table]
  return [row.site, row.time, ...dimensions.map((d) => row.dims[d] ?? ''), ...counters.map((c) => row.counts[c] ?? 0)]
}

/** One upsert statement per table, run for each of its rows (in one transaction, as every batch). */
function upsertSteps(rows: readonly Row[]): Step[] {
  const byTable = new Map<Table, unknown[][]>()
  for (const row of rows) {
    const values = byTable.get(row.table) ?? []
    values.push(upsertValues(row))
    byTable.set(row.table, values)
  }
  return [...byTable].map(([table, each]) => ({ sql: UPSERTS[table], values: [], each }))
}

/**
 * The default store: one SQLite file (better-sqlite3), in WAL mode with synchronous=FULL, so a
 * committed write survives a crash or power loss before its beacons are acknowledged. Writes and
 * stats queries each run on a worker thread with a connection of its own (worker-connection.ts),
 * so neither a commit's fsync nor a dashboard view holds up the collector's thread.
 *
 * @example const store = sqliteStore('./quietcount.db'); await store.migrate()
 */
export function sqliteStore(file: string): Store {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  const reads = workerConnection(db, file, { readonly: true, pragmas: ['temp_store = MEMORY', 'cache_size = -65536'] })
  const writes = workerConnection(db, file, { readonly: false, pragmas: ['synchronous = FULL'] })
  return {
    async migrate(options = {}) {
      const timezoneOf = options.timezoneOf ?? (() => 'UTC')
      const key = resolve(file)
      const run = (migrating.get(key) ?? Promise.resolve())
        .catch(() => {})
        .then(() =>
          runMigrations(
            {
              context: { db, timezoneOf },
              // BEGIN IMMEDIATE takes the write lock before the check, so that two collectors starting
              // at once on one file migrate once: the second waits, then sees every version applied.
              async locked(work) {
                db.exec('CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
                db.exec('BEGIN IMMEDIATE')
                try {
                  await work()
                  db.exec('COMMIT')
                } catch (error) {
                  db.exec('ROLLBACK')
                  throw error
                }
              },
              applied: async () => new Set(db.prepare('SELECT version FROM quietcount_migrations').pluck().all() as number[]),
              record: async (version) => void db.prepare('INSERT INTO quietcount_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString()),
            },
            MIGRATIONS,
          ),
        )
      migrating.set(key, run)
      await run
    },
    async write(rows) {
      await writes.run(upsertSteps(rows))
    },
    async replay(spool, batches) {
      // One replayer per spool, and a failed batch here is rolled back whole: what the store
      // took is known before it runs.
      const taken = (db.prepare('SELECT through FROM quietcount_replays WHERE spool = ?').pluck().get(spool) as number | undefined) ?? 0
      const fresh = batches.filter((batch) => batch.seq > taken)
      if (!fresh.length) return
      await writes.run([
        ...upsertSteps(fresh.flatMap((batch) => batch.rows)),
        { sql: 'INSERT INTO quietcount_replays (spool, through) VALUES (?, ?) ON CONFLICT (spool) DO UPDATE SET through = excluded.through', values: [spool, fresh.at(-1)!.seq] },
      ])
    },
    async query(queries) {
      queries.forEach(checkQuery)
      const { steps: batch, answers } = steps(queries)
      const answered = answers(await reads.run(batch))
      return answered.map((rows, i) => rows.map((row) => numbers(row, TABLES[queries[i]!.parts[0]!.table])))
    },
    async expireDetail(site, before) {
      return db.transaction(() => {
        let deleted = 0
        for (const table of ['detail_pages', 'detail_events']) deleted += db.prepare(`DELETE FROM ${table} WHERE site = ? AND hour < ?`).run(site, before).changes
        db.prepare('INSERT INTO detail_cutoffs (site, hour) VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET hour = max(hour, excluded.hour)').run(site, before)
        return deleted
      })()
    },
    async expireMarginals(site, before) {
      const bounds = marginalBounds(before)
      return db.transaction(() => {
        let deleted = 0
        for (const { table, time, before } of bounds) {
          const bounded = before === undefined ? '' : ` AND ${time} < ?`
          deleted += db.prepare(`DELETE FROM ${table} WHERE site = ?${bounded}`).run(site, ...(before === undefined ? [] : [before])).changes
        }
        return deleted
      })()
    },
    async detailCutoff(site) {
      return (db.prepare('SELECT hour FROM detail_cutoffs WHERE site = ?').pluck().get(site) as number | undefined) ?? 0
    },
    async sites() {
      // One seek per site on the clustered key, rather than a scan of every hour of every site.
      const next = db.prepare('SELECT site FROM totals WHERE site > ? ORDER BY site LIMIT 1').pluck()
      const sites: string[] = []
      for (let site = next.get('') as string | undefined; site !== undefined; site = next.get(site) as string | undefined) sites.push(site)
      return sites
    },
    async close() {
      await reads.close()
      await writes.close()
      db.close()
    },
  }
}

/**
 * The statements of a batch of queries, and how to give each query its rows from their results.
 * Detail queries that read the same filtered rows (a filtered view asks for the totals, the
 * series and every breakdown of them) read those rows once into a temporary table and group
 * from there: with SQLite's one-pass grouping, reading a month of detail again for each
 * breakdown would cost more than all the grouping. Weighted queries of the same groups are
 * grouped once (aggregateTogether): SQLite's grouping sorts every row it reads.
 */
function steps(queries: AggregateQuery[]): { steps: Step[]; answers: (results: unknown[][]) => Record<string, unknown>[][] } {
  const shared = new Map<string, AggregateQuery[]>()
  for (const query of queries) {
    const [part] = query.parts
    if (query.parts.length !== 1 || TABLES[part!.table].tier !== 'detail' || !Object.keys(query.filters ?? {}).length) continue
    const key = JSON.stringify([part, query.site, Object.entries(query.filters ?? {}).sort()])
    shared.set(key, [...(shared.get(key) ?? []), query])
  }
  const setup: Step[] = []
  const teardown: Step[] = []
  const sources = new Map<AggregateQuery, string>()
  for (const group of shared.values()) {
    if (group.length < 2) continue
    const name = `qc_scan_${setup.length}`
    const { text, values } = scan(group[0]!, dialect)
    setup.push({ sql: `CREATE TEMP TABLE ${name} AS ${text}`, values })
    teardown.push({ sql: `DROP TABLE temp.${name}`, values: [] })
    for (const query of group) sources.set(query, `temp.${name}`)
  }
  const { statements, answers } = batchStatements(queries, dialect, (query) => sources.get(query))
  return {
    steps: [...setup, ...statements.map(({ text, values }): Step => ({ sql: text, values, rows: true })), ...teardown],
    // Results come for the steps with rows only: the statements, in order.
    answers: (results) => answers(results as Record<string, unknown>[][]),
  }
}
