import type { Context, ErrorHandler } from 'hono'
import { countedLog } from './counted-log.js'
import { AbandonedBody } from './read-body.js'

/** The statuses the collector refuses a request with. */
export type RefusalStatus = 400 | 401 | 403 | 404 | 410 | 413 | 415 | 429 | 503

/**
 * Every refusal's answer: `{ field, rule, message }` with its status (docs/collector.md), the
 * shape parseBeacon's and parseStatsQuery's errors have too.
 *
 * @example
 * if (!id) return refuse(c, 400, 'site', 'is required: the id of the site to read')
 */
export const refuse = (c: Context, status: RefusalStatus, field: string, rule: string, message = `${field}: ${rule}`) => c.json({ field, rule, message }, status)

/**
 * Request bodies that clients abandoned. A client that leaves in the middle of its body (a tab
 * closed while a beacon was sent) is not the collector's failure, and a busy site has many: the
 * first is logged, then a count at most once a minute.
 */
export const abandonedBodies = () =>
  countedLog(
    60_000,
    'quietcount: a client closed its connection before sending the whole request body; more are counted and logged at most once a minute',
    (count) => `quietcount: ${count.toLocaleString('en')} more request bodies abandoned by their clients in the last minute`,
  )

/**
 * What a route throws: an abandoned body is counted (abandonedBodies) and answered 400; an
 * unexpected failure (a store that went away) answers in the same JSON shape as every other
 * error, and the log names the error, never the request.
 *
 * @example
 * app.onError(onFailure(abandonedBodies()))
 */
export const onFailure =
  (abandoned: { add(): void }): ErrorHandler =>
  (failure, c) => {
    if (failure instanceof AbandonedBody) {
      abandoned.add()
      return refuse(c, 400, 'body', 'was not received whole: the client closed the connection')
    }
    console.error(`quietcount: ${c.req.method} ${c.req.path} failed: ${failure instanceof Error ? failure.message : String(failure)}`)
    return c.json({ field: 'server', rule: 'internal error', message: 'server: the request failed inside the collector; see its log' }, 500)
  }
