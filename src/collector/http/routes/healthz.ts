import type { Handler } from 'hono'
import type { Store } from '../../stores/store.js'

/**
 * `GET /healthz`: `{ ok: true }` once the store answers its ping; when it does not, the failure
 * answers 500 (onFailure).
 *
 * @example
 * app.get('/healthz', healthz(store))
 */
export const healthz =
  (store: Store): Handler =>
  async (c) => {
    await store.ping()
    return c.json({ ok: true })
  }
