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
      return (await import('./sqlite.js')).sqliteStore(url.slice('sqlite:'.length) || './quietcount.db')
    default:
      throw new Error(`store URL ${JSON.stringify(url)} is not one of sqlite:FILE, postgres://…, clickhouse://… or http(s)://… (ClickHouse)`)
  }
}
