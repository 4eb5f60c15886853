import { statSync } from 'node:fs'
import pg from 'pg'
import type { Client } from '../src/collector/enrich.js'
import { beaconRows } from '../src/collector/ingest.js'
import { mergeRow, type Row } from '../src/collector/rows.js'
import type { Store } from '../src/collector/stores/store.js'
import type { Beacon } from '../src/shared/protocol.js'

/**
 * Storage growth: the same day of traffic at two volumes, with the same distinct pages,
 * referrers, countries and browsers, fed through the collector's ingest path (beaconRows and the
 * merge the group commit does) in this process, since pushing ten million beacons through HTTP
 * would take longer than the whole benchmark may. Then the bytes each store uses on disk.
 */

const PATHS = Array.from({ length: 40 }, (_, i) => `/page-${i}`)
const REFERRERS = ['', 'google.com', 'duckduckgo.com', 'news.example', 'github.com']
const ZONES = ['Europe/Madrid', 'America/Mexico_City', 'America/New_York', 'Europe/Paris', 'Asia/Tokyo']
const CLIENTS: Client[] = [
  { browser: 'Chrome', browser_version: '131', os: 'Windows', device: 'desktop' },
  { browser: 'Chrome', browser_version: '131', os: 'Android', device: 'mobile' },
  { browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' },
  { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' },
]

/** The merged rows of `pageviews` one-view beacons spread over the 24 hours before now. */
export function trafficRows(pageviews: number): Row[] {
  const rows = new Map<string, Row>()
  const first = Math.floor(Date.now() / 3_600_000) - 24
  let seed = 11
  const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
  const pick = <T>(list: readonly T[]) => list[Math.floor(list.length * next())]!
  for (let i = 0; i < pageviews; i++) {
    const entry = next() < 0.4
    const beacon: Beacon = {
      v: 1, site: 'storage.test', tz: pick(ZONES), lang: 'en', screen: 'desktop',
      pages: [{ path: pick(PATHS), ...(entry && { ref: pick(REFERRERS) || undefined }), flags: entry ? 7 : 0, views: 1, seconds: 10, scroll: 50 }],
    }
    for (const row of beaconRows(beacon, pick(CLIENTS), first + (i % 24))) mergeRow(rows, row)
  }
  return [...rows.values()]
}

/**
 * Brings a store to the state a running site's database is in after its housekeeping:
 * PostgreSQL vacuumed and analysed (autovacuum would otherwise run in the middle of a
 * measurement), ClickHouse's parts merged. SQLite has no such step.
 */
export async function settle(kind: 'sqlite' | 'postgres' | 'clickhouse', url: string): Promise<void> {
  if (kind == 'postgres') await postgres(url, (client) => client.query('VACUUM ANALYZE'))
  if (kind == 'clickhouse') {
    const { database, run } = clickhouse(url)
    for (const table of (await run(`SELECT name FROM system.tables WHERE database = '${database}'`)).split('\n').filter(Boolean)) await run(`OPTIMIZE TABLE ${database}.${table} FINAL`)
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

/** Bytes a store's data takes on disk, settled first. */
export async function storeBytes(kind: 'sqlite' | 'postgres' | 'clickhouse', url: string): Promise<number> {
  await settle(kind, url)
  if (kind == 'sqlite') {
    const file = url.replace(/^sqlite:/, '')
    const size = (f: string) => { try { return statSync(f).size } catch { return 0 } }
    return size(file) + size(file + '-wal')
  }
  if (kind == 'postgres') {
    const { rows } = await postgres(url, (client) => client.query("SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"))
    return Number(rows[0].bytes)
  }
  const { database, run } = clickhouse(url)
  return Number(await run(`SELECT sum(bytes) FROM system.parts WHERE database = '${database}' AND active`))
}

export async function writeRows(store: Store, rows: Row[]) {
  for (let i = 0; i < rows.length; i += 5_000) await store.write(rows.slice(i, i + 5_000))
}
