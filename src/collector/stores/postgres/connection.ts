import type { PgClient, PgDriver, PgPool } from './driver.js'

/** The store's pool, and transactions on its connections. */
export interface PostgresConnection {
  pool: PgPool
  /**
   * BEGIN … COMMIT on one connection; ROLLBACK and discard the connection on failure. With
   * `create`, the URL's database is created first if it is missing (migrate()).
   */
  transaction<T>(work: (client: PgClient) => Promise<T>, create?: boolean): Promise<T>
  close(): Promise<void>
}

/** A pool of 10 connections to the URL's database. */
export function postgresConnection(url: string, pg: PgDriver): PostgresConnection {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle connection that breaks (server restart, network) is dropped by the pool, and the
  // next query opens a new one; without a listener the error would crash the process.
  pool.on('error', () => {})
  const listened = new WeakSet<PgClient>()

  /** A connection from the pool; with `create`, the URL's database first if it is missing. */
  const connect = async (create: boolean) => {
    let client: PgClient
    try {
      client = await pool.connect()
    } catch (error) {
      if (!create || (error as { code?: string }).code !== '3D000') throw error // 3D000: invalid_catalog_name
      await createDatabase(url, pg)
      client = await pool.connect()
    }
    // The pool listens to its idle connections only: a server that stops ends a checked-out one
    // with an 'error' event that would crash the process. Its query fails as well, which is
    // where the failure is handled.
    if (!listened.has(client)) {
      listened.add(client)
      client.on('error', () => {})
    }
    return client
  }

  return {
    pool,
    async transaction(work, create = false) {
      const client = await connect(create)
      try {
        await client.query({ text: 'BEGIN' })
        const result = await work(client)
        await client.query({ text: 'COMMIT' })
        client.release()
        return result
      } catch (error) {
        await client.query({ text: 'ROLLBACK' }).catch(() => {})
        client.release(error as Error)
        throw error
      }
    },
    close: () => pool.end(),
  }
}

/** CREATE DATABASE for the URL's database, through the maintenance database `postgres`. */
async function createDatabase(url: string, pg: PgDriver): Promise<void> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!name) throw new Error(`postgres URL ${JSON.stringify(url)} names no database`)
  target.pathname = '/postgres'
  const maintenance = new pg.Pool({ connectionString: target.href, max: 1 })
  maintenance.on('error', () => {})
  try {
    await maintenance.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
  } catch (error) {
    // Another collector created it meanwhile: 42P04 duplicate_database, or 23505 when both
    // inserted into pg_database at the same moment.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error
  } finally {
    await maintenance.end()
  }
}
