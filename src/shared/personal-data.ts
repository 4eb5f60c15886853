/**
 * Rules that recognise strings which may be personal data. The URL scrubber replaces a path
 * segment that matches with a placeholder (`/user/[email]`); the tracker refuses event props that
 * match; the collector applies the same rules again, so a hand-made beacon cannot slip one past.
 *
 * Order matters: an IP address or a UUID is also a digit run, and the first match names the rule.
 */
const RULES = {
  // `%40` too: a doubly encoded `@` is still an `@` once the server decodes it again.
  email: /[^\s@/](@|%40)[^\s@/]+\.[^\s@/]/i,
  ip: /\d{1,3}(\.\d{1,3}){3}|[\da-f]{0,4}(:[\da-f]{0,4}){3,}/i,
  uuid: /[\da-f]{8}-?[\da-f]{4}-?[\da-f]{4}-?[\da-f]{4}-?[\da-f]{12}/i,
  // Nine or more digits with the separators people type: national numbers have 9 or more,
  // while an ISO date (8 digits) stays readable.
  phone: /\d([\s().-]*\d){8,}/,
  // Five or more digits in a row: order numbers, user ids, postal codes.
  number: /\d{5}/,
  // A run of 16+ letters and digits with at least one digit: session ids, hashes, API keys.
  token: /(?=[a-z]*\d)[a-z\d]{16}/i,
}
export type PersonalDataRule = keyof typeof RULES

/** The first rule that `value` matches, or undefined when it looks harmless. */
export function personalData(value: string): PersonalDataRule | undefined {
  let rule: PersonalDataRule
  for (rule in RULES) if (RULES[rule].test(value)) return rule
}

/** Property keys that announce personal data whatever their value looks like. */
const PERSONAL_KEY =
  /^(e_?mail(_?address)?|((first|last|full|sur|user)_?)?name|(phone|tel|mobile)(_?number)?|(street_?)?address|(zip|post(al)?)_?code|zip|ip(_?address)?|((user|customer|session|account)_?)?id|uid|password|token|birth_?(day|date)|dob|ssn)$/

/** Why the event property `key: value` may not be sent, or undefined when it may. */
export function personalProp(key: string, value: string): string | undefined {
  const rule = PERSONAL_KEY.test(key) ? 'key' : personalData(value)
  if (rule) return `prop "${key}" looks like personal data (${rule})`
}
