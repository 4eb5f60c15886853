import { personalProp, refuseEventName } from '../shared/personal-data.js'
import { FLAG, LANGUAGE, LIMITS, PARAM_NAME, type PageRecord, PROTOCOL_VERSION, SCREEN_CLASSES, TIME_ZONE } from '../shared/protocol.js'
import { DEFAULT_PARAMS, linkUrl, referrerHost, scrubUrl } from '../shared/scrub-url.js'
import { createBatch } from './batch.js'
import { createCookieJar, LAST_VISIT } from './cookies.js'
import { blockReason, EXCLUDE_KEY } from './exclusions.js'
import { DOWNLOADS, HASH, NOT_FOUND, OUTBOUND } from './features.js'
import { checkSite, fail } from './options.js'
import { type Collector, send } from './transport.js'
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

export type Props = Record<string, string | number | boolean>

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

const DOWNLOAD_EXTENSIONS = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg'

/**
 * Creates the tracker and, unless `manual`, counts the current page and follows SPA navigation.
 *
 * @example
 * const tracker = createTracker({ site: 'example.org', collector: 'https://stats.example.org/api/collect' })
 * myConsentTool.onChange((choice) => tracker.consent(choice.analytics))
 * tracker.track('Signup', { plan: 'pro' })
 */
export function createTracker(config: TrackerConfig): Tracker {
  // Server-side rendering imports and calls this too: there it does nothing.
  if (typeof document === 'undefined') {
    const inert = () => false
    return { pageview: inert, track: inert, notFound: inert, consent: inert, exclude: inert, flush: inert, stop: inert }
  }
  const { site, params = DEFAULT_PARAMS, flushDelay = 1000 } = config
  const hash = HASH && config.hash
  checkSite(site)
  if (!Array.isArray(params) || !params.every((p) => PARAM_NAME.test(p))) fail('params', params, `a list of ${PARAM_NAME}`)
  let collector = config.collector ?? '/api/collect'
  if (typeof collector === 'string') {
    try {
      collector = new URL(collector, location.href).href
    } catch {}
    if (!/^https?:/.test(collector as string)) fail('collector', collector, 'an http(s) URL or a function')
  }
  const downloads = DOWNLOADS ? (config.downloads === true ? DOWNLOAD_EXTENSIONS.split(',') : config.downloads || []) : []
  const log = (message: string) => console.info(`quietcount: ${message}`)

  let consent: boolean | undefined
  const jar = createCookieJar([LAST_VISIT], (category) => category === 'necessary' || (category === 'analytics' && !!consent))
  const allowed = () => (consent || (config.cookieless && consent !== false)) && !blockReason(config)

  const batch = createBatch()
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    const { pages, events } = batch.take()
    if (!allowed() || !(pages[0] || events[0])) return
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone
    const lang = navigator.language.split('-')[0]!.toLowerCase()
    send(
      {
        v: PROTOCOL_VERSION,
        site,
        ...(TIME_ZONE.test(tz) && { tz }),
        ...(LANGUAGE.test(lang) && { lang }),
        screen: SCREEN_CLASSES[[576, 992, 1440].filter((width) => innerWidth >= width).length],
        ...(pages[0] && { pages }),
        ...(events[0] && { events }),
      },
      collector,
    )
  }
  const queued = () => (batch.size() < LIMITS.counted ? (timer ??= setTimeout(flush, flushDelay)) : flush())

  const track = (name: string, props: Props = {}) => {
    const checked: Record<string, string> = {}
    const entries = Object.entries(props).sort()
    const bad = refuseEventName(name)
    // The collector's rules for names and props (personal-data.ts), so that what is refused here is what it would refuse.
    let why: string | false | undefined = bad ? `name ${bad}` : entries.length > LIMITS.props && `over ${LIMITS.props} props`
    for (const [key, raw] of entries) why ||= personalProp(key, (checked[key] = String(raw)))
    if (why) console.warn(`quietcount: event "${name}" not sent: ${why}`)
    else if (allowed()) {
      batch.event({ name, path: scrubUrl(location.href, params, hash).path, count: 1, ...(entries[0] && { props: checked }) })
      queued()
    }
    return !why && !!allowed()
  }

  // The current page view: its record, whether it was counted (without consent it waits), and
  // its visible time and scroll depth, of which `sent…` went out already.
  let page: PageRecord | undefined
  let counted: boolean | undefined
  let notFound = config.notFound
  let visibleSince = 0
  let visibleMs = 0
  let sentSeconds = 0
  let maxScroll = 0
  let sentScroll = 0
  const measureScroll = () => {
    const height = document.documentElement.scrollHeight
    if (height) maxScroll = Math.max(maxScroll, Math.min(100, Math.round(((scrollY + innerHeight) * 100) / height)))
  }
  const count = () => {
    if (page && !counted && allowed()) {
      counted = true
      if (consent) page.flags |= visitorFlags(jar)
      batch.page(page)
      queued()
      if (NOT_FOUND && notFound) track('404')
      notFound = false
    }
  }
  /** Reports the visible time and scroll depth gained since the last report. */
  const report = () => {
    const now = Date.now()
    if (visibleSince) visibleMs += now - visibleSince
    visibleSince = document.visibilityState === 'visible' ? now : 0
    const seconds = Math.min(Math.floor(visibleMs / 1000) - sentSeconds, LIMITS.seconds)
    if (page && counted && allowed() && seconds + maxScroll > sentScroll) {
      batch.page({ ...page, views: 0, seconds, scroll: maxScroll - sentScroll })
      sentSeconds += seconds
      sentScroll = maxScroll
      queued()
    }
  }

  let currentPath = ''
  const routePath = () => location.pathname + (hash ? location.hash : '')
  const pageview = () => {
    report()
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
    page = { ...scrubUrl(location.href, params, hash), ...(ref && { ref }), flags, views: 1, seconds: 0, scroll: 0 }
    currentPath = routePath()
    counted = false
    visibleSince = document.visibilityState === 'visible' ? Date.now() : 0
    visibleMs = sentSeconds = maxScroll = sentScroll = 0
    // Reading scrollHeight now would force a layout in the middle of page load: measure the first
    // screenful once the next frame has been laid out (a page loaded in the background: once shown).
    requestAnimationFrame(() => setTimeout(measureScroll))
    count()
  }

  // Every listener and patch registers its undoing here, for stop().
  const undo: (() => void)[] = []
  const listen = (target: EventTarget, type: string, fn: (event: Event) => void) => {
    target.addEventListener(type, fn, { passive: true })
    undo.push(() => target.removeEventListener(type, fn))
  }
  const leave = () => {
    report()
    flush()
  }
  listen(document, 'visibilitychange', () => (document.visibilityState === 'hidden' ? leave() : report()))
  listen(window, 'pagehide', leave)
  listen(window, 'scroll', measureScroll)

  // The feature flags stand first in each test, so that a build without the feature drops the code (features.ts).
  if ((DOWNLOADS && downloads[0]) || (OUTBOUND && config.outbound)) {
    const onClick = (event: Event) => {
      const link = (event.target as Element).closest?.('a[href]') as HTMLAnchorElement | null
      if (!link || (event as MouseEvent).button > 1 || !/^https?:$/.test(link.protocol)) return
      const external = link.host !== location.host
      const url = linkUrl(link.href, external)
      const extension = /\.(\w+)$/.exec(link.pathname)?.[1]?.toLowerCase()
      if (DOWNLOADS && downloads.includes(extension!)) track('File Download', { url })
      else if (OUTBOUND && external && config.outbound) track('Outbound Link', { url })
    }
    listen(document, 'click', onClick)
    listen(document, 'auxclick', onClick)
  }

  const exclude = (excluded: boolean) => {
    try {
      excluded ? localStorage.setItem(EXCLUDE_KEY, '1') : localStorage.removeItem(EXCLUDE_KEY)
      log(`this browser is ${excluded ? '' : 'no longer '}excluded`)
    } catch {}
  }
  if (location.hash === '#quietcount-exclude') exclude(true)
  if (location.hash === '#quietcount-include') exclude(false)
  const reason = blockReason(config)
  if (reason) log(`not counting (${reason})`)

  if (!config.manual) {
    const navigated = () => routePath() !== currentPath && pageview()
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args)
        navigated()
      }
      undo.push(() => (history[method] = original))
    }
    listen(window, 'popstate', navigated)
    if (HASH && hash) listen(window, 'hashchange', navigated)
    // A prerendered page may never be seen: count it when (if) the visitor activates it.
    if ((document as { prerendering?: boolean }).prerendering) listen(document, 'prerenderingchange', pageview)
    // While the page still loads (a deferred script runs before it is complete), the first page
    // view waits for a task of its own: the script's task and the page's first layout then stay
    // short (no long task), and nothing is sent any sooner for it anyway (flushDelay).
    else if (document.readyState === 'complete') pageview()
    else setTimeout(pageview)
  }

  return {
    pageview,
    track,
    notFound: () => void (NOT_FOUND && track('404')),
    consent(granted) {
      consent = granted
      if (granted) return count()
      jar.remove(LAST_VISIT.name)
      batch.take()
    },
    exclude,
    flush,
    stop() {
      leave()
      undo.map((fn) => fn())
    },
  }
}
