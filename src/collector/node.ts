import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Hono } from 'hono'
import { type CollectorOptions, createCollector } from './handler.js'

/**
 * Serves the collector on Node. The socket's address feeds the rate limiter and nothing else.
 * `extend` may mount more routes (the CLI adds the example site and, later, the dashboard).
 */
export function serveCollector(options: Omit<CollectorOptions, 'clientAddress'> & { port: number; hostname?: string; extend?: (app: Hono) => void }) {
  const collector = createCollector({ ...options, clientAddress: (c) => getConnInfo(c).remote.address })
  options.extend?.(collector.app)
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    const server = serve({ fetch: collector.app.fetch, port: options.port, hostname: options.hostname ?? '127.0.0.1' }, (info) => {
      resolve({
        url: `http://${info.address == '127.0.0.1' ? 'localhost' : info.address}:${info.port}`,
        close: async () => {
          await collector.flush()
          await new Promise((done) => server.close(done))
        },
      })
    })
  })
}
