import Cookies from 'js-cookie'

/**
 * The cookie policy, enforced in code: QuietCount writes only cookies declared here, only with a
 * value inside the declared schema, and only once the cookie's consent category is granted. Any
 * other write is refused and reported on the console. A test enumerates every schema's value
 * space and fails when a cookie could hold more than 16 bits, i.e. anything that could tell one
 * person from another. The words for the privacy policy live in cookie-declaration.ts, so that
 * they stay out of the `<script>` bundle.
 */
interface CookieBase {
  name: string
  /** Consent category that must be granted before the cookie is written or read. */
  category: 'necessary' | 'analytics' | (string & {})
  /** Lifetime in days, at most 396 (13 months). */
  days: number
}

/**
 * A declared cookie and the schema of its value. `day`: a local date `YYYYMMDD` no older than the
 * cookie's lifetime and not in the future (one day of slack for time-zone travel). Everyone who
 * visited that day holds the same value, so it names a day, never a person.
 */
export interface DayCookieDeclaration extends CookieBase {
  value: 'day'
}

/**
 * `consent`: `<revision>.<granted>.<YYYYMMDD>`, the visitor's consent choice. `granted` is a bit
 * set over the site's optional categories in declared order (0 = refused all), `revision` must be
 * the current policy revision (a cookie of an older one is outside the schema, which is how a new
 * revision re-asks), and the day is a `day` as above, the day of the decision. With at most 5
 * optional categories and 13 months that is under 14 bits, shared by everyone who chose alike on
 * the same day.
 */
export interface ConsentCookieDeclaration extends CookieBase {
  value: 'consent'
  /** How many optional categories the bit set covers, 1 to 5. */
  categories: number
  /** The policy revision in force, an integer 0 to 9999. */
  revision: number
}

export type CookieDeclaration = DayCookieDeclaration | ConsentCookieDeclaration

/** The last-visit cookie: a month is the longest span "first visit this month" looks back. */
export const LAST_VISIT: CookieDeclaration = { name: 'qc_last_visit', category: 'analytics', days: 32, value: 'day' }

/**
 * The consent cookie as declared for the privacy policy: the widest bit set (5 optional
 * categories) and the default lifetime of 6 months. The consent manager declares the site's own
 * (its categories, revision and lifetime) from it.
 */
export const CONSENT_COOKIE: ConsentCookieDeclaration = { name: 'qc_consent', category: 'necessary', days: 183, value: 'consent', categories: 5, revision: 0 }

/** `YYYYMMDD` of the local day of `date`. */
export function dayStamp(date = new Date()): string {
  return String(date.getFullYear() * 1e4 + (date.getMonth() + 1) * 100 + date.getDate())
}

/**
 * Every value the schema of `declaration` accepts on the local day of `now`: the cookie's whole
 * value space, which is how a test measures it in bits and proves that `withinSchema` accepts
 * exactly this set. The days are the lifetime and tomorrow (slack for time-zone travel); a
 * `consent` value adds its revision and each bit set before the day.
 */
export function valueSpace(declaration: CookieDeclaration, now = new Date()): string[] {
  const values = []
  for (let age = -1; age <= declaration.days; age++) {
    const day = dayStamp(new Date(now.getFullYear(), now.getMonth(), now.getDate() - age))
    for (let bits = 0; fits(declaration, bits); bits++) values.push(spell(declaration, bits, day))
  }
  return values
}

/**
 * Whether `value` is in the value space of `declaration` on the local day of `now`, by parsing
 * it and comparing ranges: the jar runs this on every get and set, where building the space
 * (thousands of strings for a consent cookie) would cost the page.
 */
export function withinSchema(declaration: CookieDeclaration, value: string, now = new Date()): boolean {
  const parts = value.split('.')
  const day = parts.pop()!
  const date = new Date(+day.slice(0, 4), +day.slice(4, 6) - 1, +day.slice(6))
  const age = Math.round((new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() - date.getTime()) / 864e5)
  // Unsigned, so "-1" or "4294967296" come back as another number and fail the comparison below.
  const bits = +parts[1]! >>> 0
  // Spelling the parsed value again refuses every other spelling of it ("07", "+7", "1e0",
  // 20260231, extra or missing parts, another revision).
  return value === spell(declaration, bits, dayStamp(date)) && age >= -1 && age <= declaration.days && fits(declaration, bits)
}

/** A `day` has no categories: shifting by undefined is shifting by 0, so only 0 fits. */
const fits = (declaration: CookieDeclaration, bits: number) => bits >> (declaration as ConsentCookieDeclaration).categories === 0

const spell = (declaration: CookieDeclaration, bits: number, day: string) => (declaration.value === 'day' ? day : `${declaration.revision}.${bits}.${day}`)

export interface CookieJar {
  /** The cookie's value, or undefined when absent, outside its schema or its category is not granted. */
  get(name: string): string | undefined
  /** Writes the cookie, or refuses (returns false and warns) when the policy forbids it. */
  set(name: string, value: string): boolean
  remove(name: string): void
}

/** A jar that enforces `declarations`; `granted` tells whether a consent category is granted now. */
export function createCookieJar(declarations: readonly CookieDeclaration[], granted: (category: string) => boolean): CookieJar {
  const find = (name: string) => declarations.find((d) => d.name === name)
  return {
    get(name) {
      const declaration = find(name)
      const value = declaration && granted(declaration.category) ? Cookies.get(name) : undefined
      return value && withinSchema(declaration!, value) ? value : undefined
    },
    set(name, value) {
      const declaration = find(name)
      const refusal = !declaration
        ? 'not declared'
        : !withinSchema(declaration, value)
          ? `value "${value}" is not a ${declaration.value}`
          : !granted(declaration.category) && `no consent for ${declaration.category}`
      if (refusal) console.warn(`quietcount: cookie "${name}" refused: ${refusal}`)
      else Cookies.set(name, value, { expires: declaration!.days, path: '/', sameSite: 'Lax', secure: location.protocol === 'https:' })
      return !refusal
    },
    remove(name) {
      Cookies.remove(name, { path: '/' })
    },
  }
}
