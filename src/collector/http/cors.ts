import type { Handler } from 'hono'
import type { RegistryFile } from '../sites/registry.js'
import type { Site } from '../sites/sites.js'

/**
 * CORS for ingest only: a site's declared origins, and only what a beacon needs (a POST with a
 * Content-Type). The read API sends no CORS headers.
 */

/** Whether a site takes beacons from pages of `origin`: one of its declared origins, or any when it declares none. */
export const acceptsOrigin = (site: Site, origin: string) => site.origins.length === 0 || site.origins.includes(origin)

/** The CORS headers of an answer to `origin` about `site`'s beacons; none when the site does not accept it. */
export const corsHeaders = (site: Site | undefined, origin: string | undefined): Record<string, string> =>
  origin && site && acceptsOrigin(site, origin)
    ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', vary: 'origin' }
    : {}

/**
 * `OPTIONS /api/collect`. A preflight carries no body, so no site id: any site that accepts the
 * origin lets it through (204), else 403.
 *
 * @example
 * app.options('/api/collect', preflight(registry))
 */
export const preflight =
  (registry: RegistryFile): Handler =>
  (c) => {
    const origin = c.req.header('origin')
    const headers = corsHeaders(
      registry.read().sites.find((s) => origin && acceptsOrigin(s, origin)),
      origin,
    )
    return c.body(null, headers['access-control-allow-origin'] ? 204 : 403, headers)
  }
