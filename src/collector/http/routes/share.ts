import type { Handler } from 'hono'
import type { StatsResult } from '../../../shared/stats-types.js'
import type { RegistryFile } from '../../sites/registry.js'
import { isLegacyShare } from '../../sites/sites.js'
import { type PublicQuery, parsePublicQuery } from '../../stats/public/query.js'
import { refuse } from '../error.js'

/**
 * `GET /api/share/:id`, without a token: a share link answers from noisy cells only
 * (stats/public/); exact figures never leave the collector without a token. 404 for no such link,
 * 410 for a k-anonymity link of an older version.
 *
 * @example
 * app.get('/api/share/:id', share(registry, publicAnswers(store)))
 */
export const share =
  (registry: RegistryFile, answer: (query: PublicQuery) => Promise<StatsResult>): Handler =>
  async (c) => {
    const id = c.req.param('id')
    const site = registry.read().sites.find((s) => s.shares.some((link) => link.id === id))
    const link = site?.shares.find((link) => link.id === id)
    if (!site || !link) return refuse(c, 404, 'share', 'this address is not a share link of this collector (it may have been revoked)')
    if (isLegacyShare(link)) {
      return refuse(c, 410, 'share', 'this link was made for k-anonymity, which QuietCount no longer serves; its owner turns it into a private link with quietcount migrate')
    }
    const parsed = parsePublicQuery(new URL(c.req.url).searchParams, site, link)
    if (!parsed.ok) return c.json(parsed.error, 400)
    return c.json(await answer(parsed.query), 200, { 'cache-control': 'no-store' })
  }
