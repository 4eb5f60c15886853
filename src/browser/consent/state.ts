import { CONSENT_COOKIE, type ConsentCookieDeclaration, type CookieJar, dayStamp } from '../cookies.js'

/** A choice: each optional category (never `necessary`), granted or not. */
export type Choice = Record<string, boolean>

/** The site's consent cookie: its optional categories as the bit set, its revision and lifetime. */
export const consentCookie = (categories: number, revision: number, days: number): ConsentCookieDeclaration => ({ ...CONSENT_COOKIE, categories, revision, days })

/**
 * The stored choice over `ids` (the optional categories, in declared order), or undefined when
 * there is none that counts: absent, of an older revision, older than the lifetime, or tampered
 * with. A cookie that does not count is deleted, so that a visitor holds nothing stale.
 */
export function readChoice(jar: CookieJar, cookie: ConsentCookieDeclaration, ids: readonly string[]): Choice | undefined {
  const value = jar.get(cookie.name)
  if (!value) return void jar.remove(cookie.name)
  const bits = Number(value.split('.')[1])
  return Object.fromEntries(ids.map((id, i) => [id, !!((bits >> i) & 1)]))
}

/** Stores `choice` with today's date: a refusal (bit set 0) is remembered as long as a consent. */
export function writeChoice(jar: CookieJar, cookie: ConsentCookieDeclaration, ids: readonly string[], choice: Choice, today = dayStamp()): boolean {
  const bits = ids.reduce((sum, id, i) => sum | (+!!choice[id] << i), 0)
  return jar.set(cookie.name, `${cookie.revision}.${bits}.${today}`)
}
