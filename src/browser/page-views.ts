import { FLAG, type PageRecord } from '../shared/protocol.js'
import { referrerHost, scrubUrl } from '../shared/scrub-url.js'
import { createEngagement } from './engagement.js'
import type { Track } from './events.js'
import { HASH, NOT_FOUND } from './features.js'

/**
 * The current page view: its record, whether it was counted (until counting is allowed, it
 * waits), and its engagement (engagement.ts), reported once the view is counted. Returns
 * `[pageview, count, moved, report, measure]`: `pageview` counts a view of the current URL,
 * `count` the view that waits, `moved` says whether the route (the path, and the `#/route` with
 * hash routing) is no longer the last view's; `report` and `measure` are the engagement's.
 */
export function createPageViews(
  options: { params?: readonly string[]; hash?: boolean; notFound?: boolean },
  allowed: () => boolean | undefined,
  visitorFlags: () => number,
  add: (record: PageRecord) => void,
  track: Track,
): [pageview: () => void, count: () => void, moved: () => boolean, report: () => void, measure: () => void] {
  const hash = HASH && options.hash
  let page: PageRecord | undefined
  let counted: boolean | undefined
  let notFound = options.notFound
  let route = ''
  const routeNow = () => location.pathname + (hash ? location.hash : '')
  const [engagement, measure, restart] = createEngagement(add)
  const report = () => engagement(counted && allowed() && page)
  const count = () => {
    if (page && !counted && allowed()) {
      counted = true
      page.flags |= visitorFlags()
      add(page)
      if (NOT_FOUND && notFound) track('404')
      notFound = false
    }
  }
  const pageview = () => {
    restart(counted && allowed() && page)
    let flags = 0
    let ref: string | undefined
    if (!page) {
      // Only the page the browser loaded can start a visit: SPA navigation never does.
      const type = (performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined)?.type
      let internal: boolean | undefined
      try {
        internal = new URL(document.referrer).host === location.host
      } catch {}
      if (!internal && type !== 'reload' && type !== 'back_forward') flags = FLAG.entry
      ref = referrerHost(document.referrer, location.hostname)
    }
    page = { ...scrubUrl(location.href, options.params, hash), ...(ref && { ref }), flags, views: 1, seconds: 0, scroll: 0 }
    route = routeNow()
    counted = false
    count()
  }
  return [pageview, count, () => routeNow() !== route, report, measure]
}
