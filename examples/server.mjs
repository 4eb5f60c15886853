// The example site and a beacon sink: `npm start` runs it for the demo, the browser tests start
// it on a free port. Until the collector exists, /api/collect validates beacons with the real
// protocol parser (dist/esm/protocol.js) and keeps them in memory; nothing about a visitor (IP
// address, user agent, cookies) is read or logged.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBeacon } from '../dist/esm/protocol.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.css': 'text/css',
  '.pdf': 'application/pdf',
}
// URL path prefix -> folder. node_modules/js-cookie serves the npm page's import map.
const MOUNTS = [
  ['/dist/', 'dist/'],
  ['/node_modules/js-cookie/', 'node_modules/js-cookie/'],
  ['/', 'examples/'],
]
// Pages of the example site that have no file of their own.
const ROUTES = { '/': 'index.html', '/example': 'index.html', '/join': 'join.html', '/files/report.pdf': 'report.pdf' }

/** A page's script tags pointed at the core (`core`) or the fullest (`fullest`) build variant of their script. */
const SCRIPT_SRC = /\/dist\/(quietcount(?:-tracker)?)(?:\.(?:outbound|downloads|hash|not-found))*\.js"/g
const VARIANT_SUFFIX = { core: '', fullest: '.outbound.downloads.hash.not-found' }

/**
 * Starts the example site; `port` 0 picks a free one. `scripts: 'core' | 'fullest'` serves every
 * page with that build variant of its script instead of the one it names (the browser tests run
 * their scenarios on both).
 * @param {{ port?: number, host?: string, quiet?: boolean, scripts?: 'core' | 'fullest' }} [options]
 */
export function startServer({ port = 0, host = '127.0.0.1', quiet = false, scripts = undefined } = {}) {
  const beacons = []
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/api/collect' && req.method === 'POST') {
      let body = ''
      for await (const chunk of req) body += chunk
      const parsed = parseBeacon(body)
      if (!parsed.ok) {
        if (!quiet) console.log(`beacon refused: ${parsed.error.message}`)
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(parsed.error))
        return
      }
      beacons.push(parsed.beacon)
      if (!quiet) {
        const { pages = [], events = [] } = parsed.beacon
        const views = pages.reduce((n, p) => n + p.views, 0)
        console.log(`beacon: ${views} page view(s) [${pages.map((p) => p.path).join(' ')}], ${events.length} event record(s)`)
      }
      res.writeHead(204).end()
      return
    }
    if (url.pathname === '/api/beacons') {
      if (req.method === 'DELETE') beacons.length = 0
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(beacons))
      return
    }
    const mount = MOUNTS.find(([prefix]) => url.pathname.startsWith(prefix))
    const relative = ROUTES[url.pathname] ?? url.pathname.slice(mount[0].length)
    const file = normalize(join(root, mount[1], relative))
    if (!file.startsWith(join(root, mount[1]))) return res.writeHead(403).end()
    try {
      const spa = url.pathname.startsWith('/app/') ? join(root, 'examples/spa.html') : null
      let content = await readFile(spa ?? file)
      if (scripts && extname(spa ?? file) === '.html') content = Buffer.from(content.toString().replace(SCRIPT_SRC, (_, base) => `/dist/${base}${VARIANT_SUFFIX[scripts]}.js"`))
      const headers = { 'content-type': TYPES[extname(spa ?? file)] ?? 'application/octet-stream' }
      // The consent example runs under a strict policy: no inline style, no eval, no inline script
      // but its one gated script, allowed by hash.
      if (url.pathname === '/consent.html') {
        const inline = /<script type="text\/plain" data-consent="\w+">([^<]*)<\/script>/.exec(content.toString())?.[1] ?? ''
        headers['content-security-policy'] = `default-src 'self'; script-src 'self' 'sha256-${createHash('sha256').update(inline).digest('base64')}'; style-src 'self'`
      }
      res.writeHead(200, headers).end(content)
    } catch {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(await readFile(join(root, 'examples/404.html')))
    }
  })
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: actual } = server.address()
      resolve({ url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}`, beacons, close: () => new Promise((done) => server.close(done)) })
    })
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startServer({ port: Number(process.env.PORT ?? 8080) })
  console.log(`QuietCount example site: ${url}/  (beacons received: ${url}/api/beacons)`)
}
