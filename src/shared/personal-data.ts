import { EVENT_NAME, LIMITS, PROP_KEY } from './protocol.js'

/**
 * Rules that recognise strings which may be personal data: the browser, the collector and every
 * import apply them (gate.ts says which rule each stored dimension gets). A path segment or a
 * campaign value that matches becomes a placeholder (`/user/[email]`); an event name, prop or
 * consent category that matches is refused.
 *
 * The rules read the value as a person would read it (normalised): escapes decoded, Unicode
 * look-alikes folded, so `jo＠x.org`, `jo%EF%BC%A0x.org` and `jo(at)x.org` are all an e-mail.
 * Order matters: an IP address or a UUID is also a digit run, and the first match names the rule.
 */
const RULES = {
  email: /[^\s@/]@[^\s@/]+\.[^\s@/]/,
  ip: /\d{1,3}(\.\d{1,3}){3}|[\da-f]{0,4}(:[\da-f]{0,4}){3,}/i,
  uuid: /[\da-f]{8}-?[\da-f]{4}-?[\da-f]{4}-?[\da-f]{4}-?[\da-f]{12}/i,
  // Nine or more digits with the separators people type (spaces, dots, dashes, brackets,
  // underscores, plus signs, slashes): national numbers have 9 or more. A date (YYYY-MM-DD or
  // YYYY/MM/DD) is read as a word first, so a date and a time stay readable.
  phone: /\d([\s().\-_+/]*\d){8,}/,
  // Five or more digits in a row: order numbers, user ids, postal codes.
  number: /\d{5}/,
  token: { test: (value: string) => looksLikeToken(value) },
}
export type PersonalDataRule = keyof typeof RULES

/**
 * A value as the rules read it. Percent-escapes are decoded as whole UTF-8 sequences, again and
 * again (`%2540` is `@`, `%EF%BC%A0` is `＠`); NFKC folds full-width and other compatibility forms
 * (`＠` → `@`, `１` → `1`); invisible format characters (zero-width space, soft hyphen) go, every
 * dash is `-`, and a digit of any script is a digit (`٠١٢` count as three). `(at)`, `[at]` and
 * `jo at x dot org` are written as the `@` and `.` they stand for; a date is read as one word.
 */
export function normalised(value: string): string {
  // Printable ASCII without `%` (most values) has nothing to decode or fold: the collector's hot path.
  if (/[^ -$&-~]/.test(value)) {
    for (let before = ''; before !== value; ) {
      before = value
      value = value.replace(/(%[\da-f]{2})+/gi, (run) =>
        new TextDecoder().decode(
          new Uint8Array(
            run
              .slice(1)
              .split('%')
              .map((hex) => parseInt(hex, 16)),
          ),
        ),
      )
    }
    value = value
      .normalize('NFKC')
      .replace(/\p{Cf}/gu, '')
      .replace(/\p{Pd}/gu, '-')
      .replace(/(?![0-9])\p{Nd}/gu, '0')
  }
  if (/[([{<]\s*(at|dot)|[\s_-]at[\s_-]/i.test(value))
    value = value
      .replace(/\s*[([{<]\s*at\s*[)\]}>]\s*/gi, '@')
      .replace(/\s*[([{<]\s*dot\s*[)\]}>]\s*/gi, '.')
      .replace(/(\S)[\s_-]+at[\s_-]+(\S+?)[\s_-]+dot[\s_-]+(?=\S)/gi, '$1@$2.')
  return value.replace(/\d{4}([-/])\d\d\1\d\d/g, 'date')
}

/** The first rule that `value` matches, or undefined when it looks harmless. */
export function personalData(value: string): PersonalDataRule | undefined {
  const read = normalised(value)
  let rule: PersonalDataRule
  for (rule in RULES) if (RULES[rule].test(read)) return rule
}

/**
 * Whether a run of 12 or more token characters (letters, digits, `-`, `_`) in `value` is made
 * like a generated identifier (base64url, hex, base62 keys, Salesforce ids, JWT parts) rather
 * than like words (`how-to-make-a-sourdough-starter`, `BlackFriday2026`, `iphone15promax`). Each
 * word of the run (between `-` and `_`) earns points for what words do not do: a change of
 * character class that does not start a spoken Capitalised word, short letter parts between
 * others, digits breaking letters twice, a second capitalised acronym, consonant runs of four or
 * more, a part of four letters without a vowel. A run is a token when it has earned a point per
 * four characters (or a word of 12 or more has, alone). Measured in test/unit/personal-data.test.ts on generated identifiers and on
 * a corpus of harmless values.
 */
export function looksLikeToken(value: string): boolean {
  return (value.match(/[\w-]{12,}/g) ?? []).some((run) => {
    // A run of few distinct characters (`zzzz…`) carries little entropy whatever its shape.
    if (new Set(run).size < 6) return false
    // Base64url cut by its own `-` and `_` into short words: lower, upper and digits mixed,
    // changing class at least every third character over 20 or more (words change a few times).
    const bare = run.replace(/[-_]/g, '')
    if (bare.length > 19 && /\d/.test(bare) && /[a-z]/.test(bare) && /[A-Z]/.test(bare) && bare.match(/[a-z](?=[A-Z\d])|[A-Z](?=[a-z\d])|\d(?=\D)/g)!.length * 3 >= bare.length)
      return true
    let sum = 0
    for (const word of run.split(/[-_]/)) {
      const points = word.length > 4 || /[a-z][A-Z]|[A-Z]{2}[a-z]/.test(word) ? oddness(word) : 0
      // A long word is judged alone too, so that a prefix (`price_`, `sk_live_`) does not dilute it.
      if (word.length > 11 && points * 4 >= word.length) return true
      sum += points
    }
    return sum * 4 >= run.length
  })
}

const VOWEL = /[aeiouy]/i

/** The points of one word of a run (see looksLikeToken). */
function oddness(word: string): number {
  const parts = word.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g) ?? []
  const mixed = /[a-z]/.test(word) && /[A-Z]/.test(word)
  let points = 0
  let digitsInside = 0
  let acronyms = 0
  parts.forEach((part, i) => {
    const inner = i && i < parts.length - 1
    const spoken = part.length > 2 && VOWEL.test(part) && !/[^aeiouy]{4}/i.test(part)
    if (i && !(spoken && /^[A-Z][a-z]/.test(part))) points++
    if (/\d/.test(part)) {
      if (inner && digitsInside++) points += 2
      return
    }
    // A short part between others; a capital before digits (Q4, S24) is a model or a quarter.
    if (inner && part.length < 3 && !(/^[A-Z]$/.test(part) && /\d/.test(parts[i + 1]!))) points++
    if (mixed && /^[A-Z]{2}/.test(part) && acronyms++) points += 2
    if (part !== part.toUpperCase() || part.length > 5) {
      for (const run of part.match(/[^aeiouy]{4,}/gi) ?? []) points += run.length - 3
      if (part.length > 3 && !VOWEL.test(part)) points += 2
    }
  })
  return points
}

/**
 * Property keys that announce personal data whatever their value looks like: contact details,
 * names, addresses, dates of birth, and who someone is to the site (`user`, `customer`,
 * `account`, `login`, `session`…), alone or with a suffix (`user_id`, `customer_email`). A key
 * ending in `_type`, `_role`, `_tier`, `_plan`, `_status`, `_kind` or `_count` stays allowed
 * (`user_type`, `account_plan`): it says which class of user, not who, and a value of it that
 * looks personal is still refused by the value rules. Keys that only contain such a word
 * (`tokens`, `emails`, `video`, `order_id`) are allowed for the same reason.
 */
const PERSONAL_KEY =
  /^(?!.*_(type|role|tier|plan|status|kind|count)$)(((first|last|full|sur|user|nick)_?)?name|(e_?)?mail(_?address)?|.*_e?mail|(phone|tel|mobile)(_?number)?|.*address|(zip|post(al)?)_?code|zip|ip|(user|customer|account|login|member|session|visitor)(_?(id|name|e?mail))?|(client|device)_?id|u?u?id|pass(wd|word)?|.*token|secret|api_?key|birth_?(day|date)|dob|ssn|iban)$/

/** Whether a prop value has the length the collector stores: 1 to LIMITS.propValue characters. */
export const propValueFits = (value: string): boolean => !!value && value.length <= LIMITS.propValue

/** Why the event property `key: value` may not be counted (its key's shape, its value's length, a personal key or value), or undefined when it may. */
export function personalProp(key: string, value: string): string | undefined {
  if (!PROP_KEY.test(key)) return `prop "${key}" must match ${PROP_KEY}`
  if (!propValueFits(value)) return `prop "${key}" must be 1 to ${LIMITS.propValue} characters`
  const rule = PERSONAL_KEY.test(key) ? 'key' : personalData(value)
  if (rule) return `prop "${key}" looks like personal data (${rule})`
}

/** Why an event name may not be counted, or undefined when it may. */
export function refuseEventName(name: string): string | undefined {
  if (!EVENT_NAME.test(name)) return `must match ${EVENT_NAME}`
  const rule = personalData(name)
  if (rule) return `looks like personal data (${rule})`
}

/**
 * Why an event may not be counted, in the words of the tracker's console (`name must match …`,
 * `over 4 props`, `prop "plan" looks like …`): the first rule it breaks (the name, the number of
 * props, then each prop in the order given, personalProp), or undefined when it may be counted.
 * The tracker checks with it before it sends and the collector when a beacon arrives
 * (parse-beacon.ts, which says in its own words which field is at fault), so that what one
 * refuses the other would.
 *
 * @example eventProblem('Signup', { email: 'pro' }) // 'prop "email" looks like personal data (key)'
 */
export function eventProblem(name: string, props: Record<string, string>): string | undefined {
  const bad = refuseEventName(name)
  if (bad) return `name ${bad}`
  const keys = Object.keys(props)
  if (keys.length > LIMITS.props) return `over ${LIMITS.props} props`
  return keys.map((key) => personalProp(key, props[key]!)).find((why) => why)
}
