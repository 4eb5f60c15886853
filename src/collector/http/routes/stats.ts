import type { Handler } from 'hono'
import { answerStats } from '../../stats/answer.js'
import { parseStatsQuery } from '../../stats/parse-query.js'
import type { Store } from '../../stores/store.js'
import type { SiteEnv } from '../auth.js'

/**
 * `GET /api/stats?site=…` behind siteReader: the query checked (400), refused when a filter would
 * single out a row folded under the site's k (403), then answered (docs/collector.md, "Stats API").
 *
 * @example
 * app.get('/api/stats', siteReader(registry), stats(store))
 */
export const stats =
  (store: Store): Handler<SiteEnv> =>
  async (c) => {
    const parsed = parseStatsQuery(new URL(c.req.url).searchParams, c.var.site, Date.now())
    if (!parsed.ok) return c.json(parsed.error, 400)
    const answer = await answerStats(store, parsed.query)
    if (!answer.ok) return c.json(answer.error, 403)
    return c.json(answer.result, 200, { 'cache-control': 'no-store' })
  }
