import type { Context, MiddlewareHandler } from 'hono'
import type { RegistryFile } from '../sites/registry.js'
import { mayRead, type Registry, type Site, tokenScope } from '../sites/sites.js'
import { refuse } from './error.js'

/**
 * The read API's access, resolved once before the route (docs/collector.md, "Sites, tokens, share links"): a bearer
 * token of a site or the admin token. The registry is read once per request.
 */

/** What siteReader leaves for the route: the site named by `?site=`, which the token may read. */
export type SiteEnv = { Variables: { site: Site } }
/** What tokenReader leaves for the route: the token's scope (a site id, or `*` for the admin) and the registry it was checked in. */
export type ScopeEnv = { Variables: { scope: string; registered: Registry } }

/** The scope of the request's bearer token, or the 401 answer; `whose` says which tokens would do. */
const scopeOf = (c: Context, registered: Registry, whose: string) =>
  tokenScope(registered, c.req.header('authorization')) ?? refuse(c, 401, 'authorization', `needs "Bearer <token>" with a read token of ${whose} or the admin token`)

/**
 * Lets the request through when `?site=` names a site its token may read, and sets `site`;
 * otherwise answers 400 (no site), 401 (no token), 403 (another site's token) or 404 (no such site).
 *
 * @example
 * app.get('/api/realtime', siteReader(registry), (c) => c.json(realtime.recent(c.var.site.id)))
 */
export const siteReader =
  (registry: RegistryFile): MiddlewareHandler<SiteEnv> =>
  async (c, next) => {
    const id = c.req.query('site')
    if (!id) return refuse(c, 400, 'site', 'is required: the id of the site to read')
    const registered = registry.read()
    const scope = scopeOf(c, registered, 'the site')
    if (scope instanceof Response) return scope
    if (!mayRead(scope, id)) return refuse(c, 403, 'authorization', `this token may not read ${JSON.stringify(id)}`)
    const site = registered.sites.find((s) => s.id === id)
    if (!site) return refuse(c, 404, 'site', `is not a site of this collector (got ${JSON.stringify(id)})`)
    c.set('site', site)
    await next()
  }

/**
 * Lets the request through with any read token, and sets `scope` and `registered`; otherwise 401.
 *
 * @example
 * app.get('/api/sites', tokenReader(registry), (c) => c.json(c.var.registered.sites.filter((s) => mayRead(c.var.scope, s.id))))
 */
export const tokenReader =
  (registry: RegistryFile): MiddlewareHandler<ScopeEnv> =>
  async (c, next) => {
    const registered = registry.read()
    const scope = scopeOf(c, registered, 'a site')
    if (scope instanceof Response) return scope
    c.set('scope', scope)
    c.set('registered', registered)
    await next()
  }
