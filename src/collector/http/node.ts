import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, Hono } from 'hono'
import { type CollectorOptions, createCollector } from './handler.js'

export interface ServeOptions extends Omit<CollectorOptions, 'clientAddress'> {
  port: number
  hostname?: string
  /**
   * Behind a reverse proxy every request comes from the proxy's address, so the rate limit would
   * throttle all visitors as one. With `trustProxy` the address is the last one the proxy appended
   * to `X-Forwarded-For` (earlier entries are whatever the client claimed). Leave it off when
   * clients reach the collector directly: they could then pick their own address.
   */
  trustProxy?: boolean
  /** Mounts more routes (the CLI adds the example site and the dashboard). */
  extend?: (app: Hono) => void
}

/** The client's address for the rate limiter, and for nothing else. */
export function clientAddress(c: Context, trustProxy = false): string | undefined {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for')?.split(',').pop()?.trim() : undefined
  return forwarded || getConnInfo(c).remote.address
}

/** Serves the collector on Node; rejects with a message naming the port when it cannot listen. */
export function serveCollector(options: ServeOptions) {
  const collector = createCollector({ ...options, clientAddress: (c) => clientAddress(c, options.trustProxy) })
  options.extend?.(collector.app)
  return new Promise<{ url: string; close(): Promise<void>; backlog: () => { rows: number; beacons: number; spooled: number }; abandoned: () => number }>((resolve, reject) => {
    const server = serve({ fetch: collector.app.fetch, port: options.port, hostname: options.hostname ?? '127.0.0.1' }, (info) => {
      resolve({
        url: `http://${info.address === '127.0.0.1' ? 'localhost' : info.address}:${info.port}`,
        backlog: collector.backlog,
        abandoned: collector.abandoned,
        close: async () => {
          // New beacons are refused first (503, and each refusal closes its connection), then
          // what waits is committed while the server stops taking connections; a connection
          // that stays open (keep-alive without a request) is cut after a few seconds.
          const committed = collector.close()
          const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void }
          const closed = new Promise((done) => server.close(done))
          // A connection becomes idle once its last answer is sent: close those as they come.
          const idle = setInterval(() => http.closeIdleConnections?.(), 50)
          const cut = setTimeout(() => http.closeAllConnections?.(), 5_000)
          await committed
          await closed
          clearInterval(idle)
          clearTimeout(cut)
        },
      })
    })
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.hostname ?? '127.0.0.1'}:${options.port}`
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${options.port} is in use (${where}); stop what listens there or choose another with --port or PORT`
            : error.code === 'EACCES'
              ? `no permission to listen on ${where}; ports below 1024 need privileges, choose another with --port`
              : `cannot listen on ${where}: ${error.message}`,
        ),
      )
    })
  })
}
