import type { Store } from './store.js'

/**
 * Opens the store a URL names: `sqlite:./quietcount.db` (default), `postgres://…`, or
 * `clickhouse://…` / `http(s)://…` for ClickHouse. Each store's driver is loaded only when asked
 * for, so a SQLite user installs neither pg nor @clickhouse/client.
 */
export async function openStore(url: string): Promise<Store> {
  const scheme = /^([a-z]+):/.exec(url)?.[1]
  switch (scheme) {
    case 'sqlite':
      return (await import('./sqlite/index.js')).sqliteStore(url.slice('sqlite:'.length) || './quietcount.db')
    case 'postgres':
    case 'postgresql': {
      const pg = await importDriver('pg', 'postgres', () => import('pg'))
      return (await import('./postgres/index.js')).postgresStore(url, pg.default)
    }
    case 'clickhouse':
    case 'http':
    case 'https': {
      const clickhouse = await importDriver('@clickhouse/client', 'clickhouse', () => import('@clickhouse/client'))
      return (await import('./clickhouse/index.js')).clickhouseStore(url, clickhouse)
    }
    default:
      throw new Error(`store URL ${JSON.stringify(url)} is not one of sqlite:FILE, postgres://…, clickhouse://… or http(s)://… (ClickHouse)`)
  }
}

/** Imports an optional peer dependency, or says which package to install. */
export async function importDriver<T>(name: string, store: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const code = (error as { code?: string }).code
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${name}'`)
    if (!missing) throw error
    throw new Error(`the ${store} store needs the package ${JSON.stringify(name)}: npm install ${name}`, { cause: error })
  }
}
