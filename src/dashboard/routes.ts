import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Context, Hono } from 'hono'

// The page allows nothing but its own origin: no inline script or style, no other host.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * Mounts the dashboard on the collector's app: the page at `/` and at `/share/<link>`, its script
 * and stylesheet under `/dashboard/`. `dist` is the build folder holding `dashboard/`. The
 * collector's app adds `X-Content-Type-Options: nosniff` to these answers as to all its own.
 */
export function mountDashboard(app: Hono, dist: string) {
  const file = (name: string, type: string) => async (c: Context) =>
    c.body(await readFile(join(dist, 'dashboard', name)), 200, {
      'content-type': type,
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      'referrer-policy': 'no-referrer',
    })
  const page = file('index.html', 'text/html; charset=utf-8')
  app.get('/', page)
  app.get('/share/:id', page)
  app.get('/dashboard/prefetch.js', file('prefetch.js', 'text/javascript; charset=utf-8'))
  app.get('/dashboard/dashboard.js', file('dashboard.js', 'text/javascript; charset=utf-8'))
  app.get('/dashboard/dashboard.css', file('dashboard.css', 'text/css; charset=utf-8'))
}
