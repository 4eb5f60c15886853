import type { MiddlewareHandler } from 'hono'

/**
 * `X-Content-Type-Options: nosniff` on every answer of the app it is used on: JSON, errors and
 * 404s, 204s, and the routes mounted later (the dashboard, the example site). A browser then takes
 * each body only as the type it is sent as, so that no answer is ever run as a script or shown
 * as a page it was not meant to be (WHATWG Fetch, "X-Content-Type-Options" header).
 *
 * @example
 * app.use(nosniff) // before the routes
 */
export const nosniff: MiddlewareHandler = async (c, next) => {
  await next()
  c.header('x-content-type-options', 'nosniff')
}
