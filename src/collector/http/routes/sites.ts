import type { Handler } from 'hono'
import { mayRead } from '../../sites/sites.js'
import type { ScopeEnv } from '../auth.js'

/**
 * `GET /api/sites` behind tokenReader: the sites a token may read, with their time zones, for the
 * dashboard's site picker.
 *
 * @example
 * app.get('/api/sites', tokenReader(registry), sites)
 */
export const sites: Handler<ScopeEnv> = (c) => {
  const readable = c.var.registered.sites.filter((s) => mayRead(c.var.scope, s.id))
  return c.json({ sites: readable.map((s) => ({ id: s.id, timezone: s.timezone })) }, 200, { 'cache-control': 'no-store' })
}
