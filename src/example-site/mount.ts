import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Hono } from 'hono'

const PAGES: Record<string, string> = { '/example': 'index.html', '/join': 'join.html', '/files/report.pdf': 'report.pdf' }
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript',
  mjs: 'text/javascript',
  css: 'text/css',
  map: 'application/json',
  pdf: 'application/pdf',
}

/**
 * The example site (`examples/`) and the built scripts, served next to the collector by
 * `quietcount serve --examples` (`npm start`), so a newcomer sees the tracker, the banner and the
 * dashboard work together on one origin. Only files inside those folders are served.
 */
export function mountExampleSite(app: Hono, packageRoot: string) {
  const examples = join(packageRoot, 'examples')
  const dist = join(packageRoot, 'dist')
  const jsCookie = join(packageRoot, 'node_modules/js-cookie')
  if (!existsSync(join(dist, 'quietcount-tracker.js'))) throw new Error(`${dist} has no build: run "npm run build" first`)
  app.get('*', async (c) => {
    const path = new URL(c.req.url).pathname
    const file = path.startsWith('/dist/')
      ? join(dist, path.slice(6))
      : path.startsWith('/node_modules/js-cookie/')
        ? join(packageRoot, path)
        : join(examples, PAGES[path] ?? (path.startsWith('/app/') ? 'spa.html' : path.slice(1)))
    const inside = [examples, dist, jsCookie].some((root) => file.startsWith(`${root}/`))
    try {
      if (!inside) throw new Error('outside')
      return c.body(await readFile(file), 200, { 'content-type': TYPES[file.split('.').pop()!] ?? 'application/octet-stream' })
    } catch {
      return c.body(await readFile(join(examples, '404.html')), 404, { 'content-type': TYPES.html! })
    }
  })
}
