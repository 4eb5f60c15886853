import { CONSENT_COOKIE, type CookieDeclaration, LAST_VISIT } from './cookies.js'

export type DeclaredCookie = CookieDeclaration & {
  /** Why it exists, in words for the site's privacy policy. */
  purpose: string
}

/** Every cookie QuietCount itself can write, with its purpose. A test checks that none is missing. */
export const DECLARED_COOKIES: readonly DeclaredCookie[] = [
  {
    ...LAST_VISIT,
    purpose: 'Remembers the date of your last visit (the day only), so that a returning visitor is counted once a day and once a month.',
  },
  {
    ...CONSENT_COOKIE,
    purpose: 'Remembers your cookie choice (which optional categories you allowed, or that you refused them all), so that you are not asked again on every page.',
  },
]

const CONTENTS: Record<CookieDeclaration['value'], string> = {
  day: 'a date (YYYYMMDD), shared by everyone who visited that day; no identifier',
  consent: 'the policy revision, the categories allowed (a number from 0 to 31) and the day of the choice (YYYYMMDD), shared by everyone who chose alike that day; no identifier',
}

export interface CookieDeclarationRow {
  name: string
  category: string
  purpose: string
  lifetime: string
  contents: string
}

/**
 * The table of cookies for the site's privacy policy: QuietCount's own, then any the site
 * declares (the consent manager adds the cookies of each category it gates).
 *
 * @example
 * for (const row of cookieDeclaration()) table.append(rowOf(row.name, row.purpose, row.lifetime))
 */
export function cookieDeclaration(extra: readonly DeclaredCookie[] = []): CookieDeclarationRow[] {
  return [...DECLARED_COOKIES, ...extra].map(({ name, category, purpose, days, value }) => ({
    name,
    category,
    purpose,
    lifetime: `${days} days`,
    contents: CONTENTS[value],
  }))
}
