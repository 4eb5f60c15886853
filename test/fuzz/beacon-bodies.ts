import fc from 'fast-check'
import { CONSENT_DECISIONS, LIMITS, SCREEN_CLASSES } from '../../src/shared/protocol.js'

/**
 * Beacon bodies for the property tests: valid beacons of the site the tests register, the same
 * beacons mutated (characters cut, doubled or inserted, numbers swapped for hostile ones, values
 * nested thousands of levels deep, lone surrogates), and arbitrary JSON and text. Most mutants
 * are refused; some stay valid, which is the point: the two sides of the line are both tested.
 */

export const FUZZ_SITE = 'example.org'

/** How many cases a property runs: 10,000 in `npm test`, FUZZ_RUNS in `npm run fuzz` (1,000,000). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)
const path = fc.array(word, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`)
const views = fc.integer({ min: 0, max: 3 })

const page = fc.record(
  {
    path,
    ref: fc.constantFrom('news.example', 'duckduckgo.com', 'x.test'),
    source: word,
    flags: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 7),
    views,
    seconds: fc.integer({ min: 0, max: 600 }),
    scroll: fc.integer({ min: 0, max: 100 }),
  },
  { requiredKeys: ['path', 'flags', 'views', 'seconds', 'scroll'] },
)
const event = fc.record(
  { name: fc.constantFrom('Signup', 'Download', 'Outbound Link', '404'), path, props: fc.dictionary(word, word, { maxKeys: 3 }), count: fc.integer({ min: 1, max: 3 }) },
  { requiredKeys: ['name', 'path', 'count'] },
)
const consent = fc.record({
  decision: fc.constantFrom(...CONSENT_DECISIONS),
  categories: fc.dictionary(fc.constantFrom('analytics', 'marketing'), fc.boolean()),
  count: fc.constant(1),
})

/** A beacon for FUZZ_SITE, valid or just over a cap (records, views, flags, decisions). */
export const beacon = fc.record(
  {
    v: fc.constant(1),
    site: fc.constantFrom(FUZZ_SITE, FUZZ_SITE, FUZZ_SITE, 'unknown.test'),
    tz: fc.constantFrom('Europe/Madrid', 'UTC', 'America/New_York'),
    lang: fc.constantFrom('es', 'en', 'de'),
    screen: fc.constantFrom(...SCREEN_CLASSES),
    pages: fc.array(page, { maxLength: 6 }),
    events: fc.array(event, { maxLength: 4 }),
    consents: fc.array(consent, { maxLength: 1 }),
  },
  { requiredKeys: ['v', 'site'] },
)

const HOSTILE_NUMBERS = ['-1', '1e308', '1e-7', '4294967296', '9007199254740993', '0.5', '-0', 'NaN', 'null', '"1"', '[]', '{}', 'true']
const HOSTILE_TEXT = ['\uD800', '\uDFFF', '\\ud800', '\u0000', '\\u0000', '"', '\\', '{', '[', ']', '}', ',', ':', '😀', '\u2028', '%00', '<script>', 'a@b.org']

/** A value nested `depth` levels deep, as text. */
const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth)

type Mutation = (body: string, at: number, n: number, pick: number) => string
const MUTATIONS: Mutation[] = [
  (body, at, n) => body.slice(0, at) + body.slice(at + n),
  (body, at, n) => body.slice(0, at) + body.slice(at, at + n).repeat(3) + body.slice(at),
  (body, at, _n, pick) => body.slice(0, at) + HOSTILE_TEXT[pick % HOSTILE_TEXT.length] + body.slice(at),
  (body, _at, _n, pick) => body.replace(/\d+/, HOSTILE_NUMBERS[pick % HOSTILE_NUMBERS.length]!),
  (body, _at, n) => body.replace(/"views":\d+/, `"views":${n * 100}`),
  (body, _at, n) => body.replace(/"flags":\d+/g, `"flags":${n % 8}`),
  (body, _at, n) => body.replace(/"site":"[^"]*"/, `"site":${nested(500 + n * 40, '{"a":', '}')}`),
  (body, _at, n) => body.replace(/"pages":/, `"pages":${nested(1000 + n * 40, '[', ']', '[]')},"x":`),
  (body, _at, n) => body.replace(/"path":"/, `"path":"${'\uD800'.repeat(n + 1)}`),
  (body, at, n) => body.slice(0, at) + ' '.repeat(n * 50) + body.slice(at),
]

/** A valid beacon's text, changed by one to three mutations. */
export const mutated = fc.tuple(beacon, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 })).map(([b, changes]) => {
  let body = JSON.stringify(b)
  for (const [which, n, at, pick] of changes) body = MUTATIONS[which % MUTATIONS.length]!(body, at % (body.length + 1), n, pick)
  return body
})

/** Any body a client could send: valid and near-valid beacons, mutants, deep nesting, arbitrary JSON and text. */
export const bodies = fc.oneof(
  { weight: 6, arbitrary: beacon.map((b) => JSON.stringify(b)) },
  { weight: 5, arbitrary: mutated },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12_000 }).map((depth) => nested(depth, '[', ']')) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
  {
    weight: 1,
    arbitrary: fc.constant(
      `{"v":1,"site":"${FUZZ_SITE}","pages":[${Array(LIMITS.records + 1)
        .fill('{"path":"/","flags":0,"views":1,"seconds":0,"scroll":0}')
        .join(',')}]}`,
    ),
  },
)
