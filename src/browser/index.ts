// The public API of the `quietcount` npm package. Everything else under src/browser is private.

export type { Beacon, EventRecord, PageRecord, ScreenClass } from '../shared/protocol.js'
export { type Choice, type Consent, type ConsentCategory, type ConsentConfig, type ConsentText, type CookieMatch, createConsent, type Strings } from './consent/index.js'
export { type CookieDeclarationRow, cookieDeclaration, type DeclaredCookie } from './cookie-declaration.js'
export type { CookieDeclaration } from './cookies.js'

import { createTracker as createInBrowser, type Tracker, type TrackerConfig } from './tracker.js'

export type { Props, Tracker, TrackerConfig } from './tracker.js'
export type { Collector } from './transport.js'

/**
 * The tracker (tracker.ts). Server-side rendering imports and calls this too: there it does
 * nothing. (The `<script>` builds, which only run in a browser, do without this check.)
 *
 * @example
 * const tracker = createTracker({ site: 'example.org', collector: 'https://stats.example.org/api/collect' })
 * tracker.track('Signup', { plan: 'pro' })
 */
export function createTracker(config: TrackerConfig): Tracker {
  if (typeof document !== 'undefined') return createInBrowser(config)
  const inert = () => false
  return { pageview: inert, track: inert, notFound: inert, consent: inert, exclude: inert, flush: inert, stop: inert }
}
