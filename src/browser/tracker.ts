import { PARAM_NAME } from '../shared/protocol.js'
import { DEFAULT_PARAMS, scrubUrl } from '../shared/scrub-url.js'
import { createCookieJar, LAST_VISIT } from './cookies.js'
import { createTrack, type Props } from './events.js'
import { blockReason, exclude } from './exclusions.js'
import { DOWNLOADS, HASH, NOT_FOUND, OUTBOUND } from './features.js'
import { trackLinks } from './links.js'
import { followNavigation } from './navigation.js'
import { checkCollector, checkSite, fail } from './options.js'
import { createPageViews } from './page-views.js'
import { createQueue } from './queue.js'
import type { Collector } from './transport.js'
import { visitorFlags } from './visitor.js'

/**
 * Options of the tracker. Each has the name of the `<script>` tag's `data-*` attribute that sets
 * it: `hash` is `data-hash`, `notFound` is `data-not-found`.
 */
export interface TrackerConfig {
  /** Site id as registered with the collector: lowercase letters, digits, dots and dashes. */
  site: string
  /** Collector URL (default `/api/collect` on this origin) or a function that receives each beacon. */
  collector?: Collector
  /**
   * Count page views without consent and without the last-visit cookie, for sites relying on
   * a consent exemption. Visits and page views are counted; visitors are not. An explicit
   * `consent(false)` still stops everything.
   */
  cookieless?: boolean
  /** Count `#/route` changes as page views (hash-routed single-page apps). */
  hash?: boolean
  /** Count clicks on links to other sites as the event `Outbound Link`. */
  outbound?: boolean
  /** Count clicks on file links as the event `File Download`: true for the usual extensions, or a list. */
  downloads?: boolean | readonly string[]
  /** This page is a "not found" page: count the event `404` with its page view. */
  notFound?: boolean
  /** Query parameters to keep (default utm_source, utm_medium, utm_campaign, ref). */
  params?: readonly string[]
  /** No automatic page views: call `pageview()` yourself. */
  manual?: boolean
  /** Count even when the browser sends Global Privacy Control (default false: GPC stops counting). */
  ignoreGpc?: boolean
  /** Count even when the browser sends Do Not Track (default false). */
  ignoreDnt?: boolean
  /** Count on localhost and file: pages (default false). */
  allowLocalhost?: boolean
  /** Count in automated browsers, `navigator.webdriver` (default false). */
  allowAutomation?: boolean
  /** Milliseconds a record waits for others to share its beacon (default 1000). */
  flushDelay?: number
}

export type { Props }

/** Adds a passive listener, removed at stop(). */
export type Listen = (target: EventTarget, type: string, fn: (event: Event) => void) => void

export interface Tracker {
  /** Counts a page view of the current URL (automatic unless `manual`). */
  pageview(): void
  /** Counts a custom event; false (with a console warning) when the name or a prop breaks a rule. */
  track(name: string, props?: Props): boolean
  /** Counts the event `404` on the current page. */
  notFound(): void
  /** The one call through which any consent tool drives the tracker: analytics granted or not. */
  consent(granted: boolean): void
  /** Excludes this browser from counting, or includes it again (stored in localStorage). */
  exclude(excluded: boolean): void
  /** Sends what is waiting now. */
  flush(): void
  /** Removes every listener and timer; what is waiting is sent first. */
  stop(): void
}

/**
 * Creates the tracker and, unless `manual`, counts the current page and follows SPA navigation.
 * The parts: the beacon queue (queue.ts), page views and their engagement (page-views.ts,
 * engagement.ts), SPA navigation (navigation.ts), custom events (events.ts), link clicks
 * (links.ts); here they are wired to consent and to the page's listeners.
 *
 * @example
 * const tracker = createTracker({ site: 'example.org', collector: 'https://stats.example.org/api/collect' })
 * myConsentTool.onChange((choice) => tracker.consent(choice.analytics))
 * tracker.track('Signup', { plan: 'pro' })
 */
export function createTracker(config: TrackerConfig): Tracker {
  const { site, params = DEFAULT_PARAMS, flushDelay = 1000 } = config
  const hash = HASH && config.hash
  checkSite(site)
  if (!Array.isArray(params) || !params.every((p) => PARAM_NAME.test(p))) fail('params', params, `a list of ${PARAM_NAME}`)

  let consent: boolean | undefined
  const jar = createCookieJar([LAST_VISIT], (category) => category === 'necessary' || (category === 'analytics' && !!consent))
  const allowed = () => (consent || (config.cookieless && consent !== false)) && !blockReason(config)
  const [add, flush, drop] = createQueue(site, checkCollector(config.collector ?? '/api/collect'), flushDelay, allowed)
  const track = createTrack(add, allowed, () => scrubUrl(location.href, params, hash).path)
  const [pageview, count, moved, report, measure] = createPageViews(config, allowed, () => (consent ? visitorFlags(jar) : 0), add, track)

  // Every listener and patch registers its undoing here, for stop().
  const undo: (() => void)[] = []
  const listen: Listen = (target, type, fn) => {
    target.addEventListener(type, fn, { passive: true })
    undo.push(() => target.removeEventListener(type, fn))
  }
  const leave = () => {
    report()
    flush()
  }
  listen(document, 'visibilitychange', () => {
    report()
    if (document.visibilityState === 'hidden') flush()
  })
  listen(window, 'pagehide', leave)
  listen(window, 'scroll', measure)
  if (DOWNLOADS || OUTBOUND) trackLinks(config, track, listen)
  if (location.hash === '#quietcount-exclude') exclude(true)
  if (location.hash === '#quietcount-include') exclude(false)
  const reason = blockReason(config)
  if (reason) console.info(`quietcount: not counting (${reason})`)
  if (!config.manual) followNavigation(pageview, moved, hash, listen, undo)

  return {
    pageview,
    track,
    notFound: () => void (NOT_FOUND && track('404')),
    consent(granted) {
      consent = granted
      if (granted) return count()
      jar.remove(LAST_VISIT.name)
      drop()
    },
    exclude,
    flush,
    stop() {
      leave()
      undo.map((fn) => fn())
    },
  }
}
