// The public API of the `quietcount` npm package. Everything else under src/browser is private.

export type { Beacon, EventRecord, PageRecord, ScreenClass } from '../shared/protocol.js'
export { type Choice, type Consent, type ConsentCategory, type ConsentConfig, type ConsentText, type CookieMatch, createConsent, type Strings } from './consent/index.js'
export { type CookieDeclarationRow, cookieDeclaration, type DeclaredCookie } from './cookie-declaration.js'
export type { CookieDeclaration } from './cookies.js'
export { createTracker, type Props, type Tracker, type TrackerConfig } from './tracker.js'
export type { Collector } from './transport.js'
