import Database from 'better-sqlite3'
import pg from 'pg'

/**
 * Storage per tier: rows and bytes on disk of the detail tier (detail_pages, detail_events) and
 * the marginal tier (totals, daily, monthly), each store settled first as its housekeeping would
 * leave it.
 */

export type StoreKind = 'sqlite' | 'postgres' | 'clickhouse'
const TIERS = { detail: ['detail_pages', 'detail_events'], marginal: ['totals', 'daily', 'monthly'] } as const
export interface TierSizes {
  detail: { rows: number; bytes: number }
  marginal: { rows: number; bytes: number }
}

/**
 * Brings a store to the state a running site's database is in after its housekeeping:
 * PostgreSQL vacuumed and analysed (autovacuum would otherwise run in the middle of a
 * measurement), ClickHouse's parts merged, SQLite vacuumed.
 */
export async function settle(kind: StoreKind, url: string): Promise<void> {
  if (kind === 'sqlite') {
    // Pages freed by expiry and upserts go back to the file, as a periodic VACUUM would.
    const db = new Database(url.replace(/^sqlite:/, ''))
    db.exec('VACUUM')
    db.close()
  }
  if (kind === 'postgres') await postgres(url, (client) => client.query('VACUUM ANALYZE'))
  if (kind === 'clickhouse') {
    const { database, run } = clickhouse(url)
    for (const table of (await run(`SELECT name FROM system.tables WHERE database = '${database}'`)).split('\n').filter(Boolean))
      await run(`OPTIMIZE TABLE ${database}.${table} FINAL`)
  }
}

/** Runs `use` on a connection of its own, closed afterwards. */
async function postgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

function clickhouse(url: string) {
  const parsed = new URL(url.replace(/^clickhouse:/, 'http:'))
  const run = async (query: string) => {
    const response = await fetch(`http://${parsed.host}/`, { method: 'POST', body: query })
    if (!response.ok) throw new Error(`${query}: ${await response.text()}`)
    return (await response.text()).trim()
  }
  return { database: parsed.pathname.slice(1), run }
}

/** Rows and bytes of each tier of a store, settled first. */
export async function tierSizes(kind: StoreKind, url: string): Promise<TierSizes> {
  await settle(kind, url)
  const perTable = new Map<string, { rows: number; bytes: number }>()
  if (kind === 'sqlite') {
    const db = new Database(url.replace(/^sqlite:/, ''), { readonly: true })
    // dbstat: the pages each b-tree takes (WITHOUT ROWID tables are their own key index).
    for (const { name, bytes } of db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[]) {
      if (
        Object.values(TIERS)
          .flat()
          .includes(name as never)
      )
        perTable.set(name, { rows: db.prepare(`SELECT count(*) FROM ${name}`).pluck().get() as number, bytes })
    }
    db.close()
  } else if (kind === 'postgres') {
    await postgres(url, async (client) => {
      for (const table of Object.values(TIERS).flat()) {
        const { rows } = await client.query(`SELECT pg_total_relation_size('${table}')::bigint AS bytes, (SELECT count(*) FROM ${table})::bigint AS rows`)
        perTable.set(table, { rows: Number(rows[0].rows), bytes: Number(rows[0].bytes) })
      }
    })
  } else {
    const { database, run } = clickhouse(url)
    for (const line of (await run(`SELECT table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = '${database}' AND active GROUP BY table`))
      .split('\n')
      .filter(Boolean)) {
      const [table, rows, bytes] = line.split('\t')
      perTable.set(table!, { rows: Number(rows), bytes: Number(bytes) })
    }
  }
  const tier = (tables: readonly string[]) =>
    tables.reduce((sum, t) => ({ rows: sum.rows + (perTable.get(t)?.rows ?? 0), bytes: sum.bytes + (perTable.get(t)?.bytes ?? 0) }), { rows: 0, bytes: 0 })
  return { detail: tier(TIERS.detail), marginal: tier(TIERS.marginal) }
}
