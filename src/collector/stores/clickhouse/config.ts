import { identifier } from './dialect.js'

/** Where a URL points: `clickhouse://user:password@host:8123/db` or `http(s)://host:port/db`. */
export function clickhouseConfig(url: string): { url: string; username?: string; password?: string; database: string } {
  const parsed = new URL(url)
  if (!['clickhouse:', 'http:', 'https:'].includes(parsed.protocol)) throw new Error(`clickhouse URL ${JSON.stringify(url)} must start with clickhouse://, http:// or https://`)
  const http = new URL(`${parsed.protocol === 'https:' ? 'https' : 'http'}://${parsed.host}`)
  if (parsed.protocol === 'clickhouse:' && !parsed.port) http.port = '8123'
  const database = decodeURIComponent(parsed.pathname.replace(/^\/|\/$/g, '')) || 'default'
  identifier(database)
  return {
    url: http.origin,
    database,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
  }
}
