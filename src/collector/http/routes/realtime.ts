import type { Handler } from 'hono'
import type { RealtimeCounter } from '../../ingest/realtime.js'
import type { SiteEnv } from '../auth.js'

/**
 * `GET /api/realtime?site=…` behind siteReader: page views and visits started in the last five
 * minutes, from memory (ingest/realtime.ts).
 *
 * @example
 * app.get('/api/realtime', siteReader(registry), realtime(realtimeCounter()))
 */
export const realtime =
  (counter: RealtimeCounter): Handler<SiteEnv> =>
  (c) =>
    c.json({ site: c.var.site.id, ...counter.recent(c.var.site.id) }, 200, { 'cache-control': 'no-store' })
