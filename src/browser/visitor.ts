import { FLAG } from '../shared/protocol.js'
import { type CookieJar, dayStamp, LAST_VISIT } from './cookies.js'

/**
 * Visitor flags for a page view, from the last-visit cookie: "first view today" and "first view
 * this month". Counting views with a flag counts visitors without ever naming one. Call only
 * with analytics consent. Where the browser keeps no cookie, no flag is sent: a visitor that
 * cannot be remembered would otherwise be counted again on every page view.
 */
export function visitorFlags(jar: CookieJar, today = dayStamp()): number {
  const last = jar.get(LAST_VISIT.name)
  if (last === today) return 0
  if (!jar.set(LAST_VISIT.name, today) || jar.get(LAST_VISIT.name) !== today) return 0
  return FLAG.newToday | (last?.slice(0, 6) === today.slice(0, 6) ? 0 : FLAG.newThisMonth)
}
