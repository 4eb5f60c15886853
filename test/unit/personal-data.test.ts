import { describe, expect, it } from 'vitest'
import { looksLikeToken, normalised, type PersonalDataRule, personalData, personalProp, refuseEventName } from '../../src/shared/personal-data.js'
import { HARMLESS, identifiers, REFUSED_THOUGH_HARMLESS, seeded } from '../fixtures/personal-data-corpus.js'

const valueCases: [value: string, rule: PersonalDataRule | undefined][] = [
  // harmless
  ['pro', undefined],
  ['dark mode', undefined],
  ['2026-11-23', undefined],
  ['2026-11-23T10:30:00Z', undefined],
  ['v2', undefined],
  ['checkout-step-3', undefined],
  ['', undefined],
  [' ', undefined],
  ['blue', undefined],
  ['3', undefined],
  ['42', undefined],
  ['2026', undefined],
  ['1234', undefined],
  ['Q4-2026', undefined],
  ['en-US', undefined],
  ['1.2.3', undefined],
  ['12:30:00', undefined],
  ['3.14', undefined],
  ['EUR 1,299.00', undefined],
  ['iPhone 15 Pro', undefined],
  ['https://example.org/docs', undefined],
  ['example.org/file.pdf', undefined],
  ['abcdefghijklmnop', undefined], // 16 letters, no digit: not a token
  ['abcdefghijklmn1', undefined], // the alphabet in order is not made like an identifier
  ['abcdefghijklmno1', undefined],
  ['how-to-make-a-sourdough-starter', undefined],
  ['checkout-step-3', undefined],
  ['BlackFriday2026', undefined],
  ['iphone15promax', undefined],
  ['2026-11-23 10:30', undefined], // a date is one word to the phone rule
  ['Look at this', undefined],
  ['@jo', undefined],
  ['jo@localhost', undefined], // no dot after the @
  ['jo @x.org', undefined],
  ['example.org/[email]', undefined], // placeholders themselves are harmless
  // e-mail
  ['jo@x.org', 'email'],
  ['JO@X.ORG', 'email'],
  ['a@b.c', 'email'],
  ['jane.doe+news@mail.example.co.uk', 'email'],
  ['jo%40x.org', 'email'],
  ['mailto:jo@x.org', 'email'],
  // e-mail behind look-alikes and spellings
  ['jo＠x.org', 'email'], // full-width at sign
  ['jo﹫x.org', 'email'], // small at sign
  ['jo%EF%BC%A0x.org', 'email'], // full-width at sign, percent-encoded as UTF-8
  ['jo%25EF%25BC%25A0x.org', 'email'], // and encoded twice
  ['jo%FF%EF%BC%A0x.org', 'email'], // a stray byte before it
  ['ｊｏ＠ｘ．ｏｒｇ', 'email'], // full-width throughout
  ['jo\u200b@x.org', 'email'], // a zero-width space before the at sign
  ['jane(at)example.org', 'email'],
  ['jane [at] example [dot] org', 'email'],
  ['jane at example dot org', 'email'],
  ['jane_at_example_dot_org', 'email'],
  ['jane（at）example．org', 'email'], // full-width brackets
  // ip
  ['192.168.0.1', 'ip'],
  ['1.2.3.4', 'ip'],
  ['2001:db8::1', 'ip'],
  ['fe80:0:0:0:1ff:fe23:4567:890a', 'ip'],
  ['00:1a:2b:3c:4d:5e', 'ip'],
  // uuid
  ['123e4567-e89b-12d3-a456-426614174000', 'uuid'],
  ['123e4567e89b12d3a456426614174000', 'uuid'],
  ['123E4567-E89B-12D3-A456-426614174000', 'uuid'],
  // phone
  ['+1 555 123 4567', 'phone'],
  ['(555) 123-4567', 'phone'],
  ['555.123.4567', 'phone'],
  ['0612345678', 'phone'],
  ['4111 1111 1111 1111', 'phone'],
  ['612_345_678', 'phone'],
  ['+34+612+345+678', 'phone'],
  ['555/123/4567', 'phone'],
  ['Call 612 345 678', 'phone'],
  ['612–345–678', 'phone'], // en dashes
  ['６１２３４５６７８', 'phone'], // full-width digits
  ['٦١٢٣٤٥٦٧٨', 'phone'], // Arabic-Indic digits
  ['६१२३४५६७८', 'phone'], // Devanagari digits
  ['61\u200b2345678', 'phone'], // a zero-width space inside
  // number
  ['12345', 'number'],
  ['10115', 'number'],
  ['order-98765', 'number'],
  ['20261123', 'number'],
  // token
  ['a1b2c3d4e5f6g7h8', 'token'],
  ['Qx7-kP2_zR9mWb4LtY8nVc3HdF6jSa1E', 'token'], // base64url, as `quietcount tokens create` prints it
  ['00Q5g00Abc12XyZ', 'token'], // a Salesforce id of 15 characters
  ['Signup 001Dn0aBc9XyZ12', 'token'], // in an event name
  ['cus_NffrFeUfNV2Hib', 'token'],
  ['eyJhbGciOiJIUzI1NiJ9', 'token'],
  ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'token'],
]

describe('personalData', () => {
  it.each(valueCases)('%j -> %s', (value, rule) => {
    expect(personalData(value)).toBe(rule)
  })
})

const BLOCKED_KEYS = [
  'user',
  'mail',
  'login',
  'customer',
  'account',
  'account_id',
  'customer_email',
  'member_id',
  'visitor_id',
  'session',
  'device_id',
  'passwd',
  'api_key',
  'auth_token',
  'phone_number',
  'iban',
  'email',
  'e_mail',
  'name',
  'first_name',
  'last_name',
  'full_name',
  'username',
  'user_name',
  'phone',
  'tel',
  'mobile',
  'address',
  'zip',
  'postcode',
  'ip',
  'id',
  'uid',
  'user_id',
  'userid',
  'customer_id',
  'session_id',
  'sessionid',
  'password',
  'token',
  'birthday',
  'dob',
  'ssn',
]

const propCases: [key: string, value: string, message: string | undefined][] = [
  // keys that announce personal data, whatever the value
  ...BLOCKED_KEYS.map((key): [string, string, string] => [key, 'pro', `prop "${key}" looks like personal data (key)`]),
  // harmless keys and values
  ['plan', 'pro', undefined],
  ['variant', 'dark mode', undefined],
  ['button', 'signup', undefined],
  ['size', 'large', undefined],
  ['date', '2026-11-23', undefined],
  ['version', 'v2', undefined],
  ['step', 'checkout-step-3', undefined],
  ['url', 'example.org/docs', undefined],
  ['url', 'example.org/user/[email]', undefined],
  // keys that merely contain a blocked word are not blocked by the key rule
  ['video', 'intro', undefined],
  ['idea', 'x', undefined],
  ['tokens', '3', undefined],
  ['emails', 'weekly', undefined],
  ['order_id', 'x', undefined],
  // a kind of user, not a user: allowed (the value rules still apply)
  ['user_type', 'admin', undefined],
  ['account_plan', 'pro', undefined],
  ['theme', 'dark', undefined],
  ['device', 'mobile', undefined],
  ['user_type', 'jo@x.org', 'prop "user_type" looks like personal data (email)'],
  // shape and length, the tracker's and the collector's
  ['Plan', 'pro', 'prop "Plan" must match /^[a-z][a-z0-9_]{0,23}$/'],
  ['plan', '', 'prop "plan" must be 1 to 64 characters'],
  ['url', '192.168.1.1/admin', 'prop "url" looks like personal data (ip)'],
  // harmless keys with personal values: the value rules name the reason
  ['plan', 'jo@x.org', 'prop "plan" looks like personal data (email)'],
  ['variant', '12345', 'prop "variant" looks like personal data (number)'],
  ['source', '192.168.0.1', 'prop "source" looks like personal data (ip)'],
  ['ref', '123e4567-e89b-12d3-a456-426614174000', 'prop "ref" looks like personal data (uuid)'],
  ['contact', '+1 555 123 4567', 'prop "contact" looks like personal data (phone)'],
  ['code', 'a1b2c3d4e5f6g7h8', 'prop "code" looks like personal data (token)'],
  // the key rule wins over the value rules
  ['email', 'jo@x.org', 'prop "email" looks like personal data (key)'],
]

describe('personalProp', () => {
  it.each(propCases)('%s: %j -> %s', (key, value, message) => {
    expect(personalProp(key, value)).toBe(message)
  })

  // BUG: PERSONAL_KEY matches whole keys only and misses common spellings: `firstname` is let
  // through although `username` is blocked, and so are `phone_number`, `email_address`, ...
  // With values the value rules do not catch, these props reach the collector.
  const missedKeys: [key: string, value: string][] = [
    ['firstname', 'Jane'],
    ['lastname', 'Doe'],
    ['phone_number', '555-1234'],
    ['email_address', 'jane'],
    ['zip_code', '1011'],
    ['postal_code', 'SW1A 1AA'],
  ]
  it.each(missedKeys)('refuses the personal key %s (value %j)', (key, value) => {
    expect(personalProp(key, value)).toBe(`prop "${key}" looks like personal data (key)`)
  })
})

describe('refuseEventName', () => {
  it.each([
    ['Signup', undefined],
    ['Outbound Link', undefined],
    ['Call 612 345 678', 'looks like personal data (phone)'],
    ['Signup 001Dn0aBc9XyZ12', 'looks like personal data (token)'],
    ['Sign\nup', 'must match /^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,39}$/'],
  ])('%j -> %s', (name, why) => expect(refuseEventName(name)).toBe(why))
})

describe('normalised', () => {
  it('decodes escapes as whole UTF-8 sequences, folds look-alikes, and keeps what a person reads', () => {
    expect(normalised('%EF%BC%A0')).toBe('@')
    expect(normalised('%C3%A9t%C3%A9')).toBe('été')
    expect(normalised('ｆｕｌｌ')).toBe('full')
    expect(normalised('٣')).toBe('0')
    expect(normalised('plain-ascii_value')).toBe('plain-ascii_value')
  })
})

// The corpus the token rule was tuned on (test/fixtures/personal-data-corpus.ts): harmless
// values stay, generated identifiers do not. Seeded, so a failure can be reproduced.
describe('the corpus', () => {
  it.each(HARMLESS)('keeps %j', (value) => expect(personalData(value)).toBeUndefined())

  it.each(REFUSED_THOUGH_HARMLESS)('refuses %j (a known false positive, see the fixture)', (value) => expect(personalData(value)).toBe('token'))

  // Identifiers of 20 or more characters slip by almost never (see the measured rates below):
  // none of these may.
  const corpus = identifiers(2026, 60)
  it.each(Object.keys(corpus))('catches every generated %s', (kind) => {
    expect(corpus[kind]!.filter((value) => !personalData(value))).toEqual([])
  })

  // The rule is statistical: a short identifier can be made of parts that read like words. The
  // rates are measured on 2,000 draws per kind and may not grow.
  it.each([
    // Measured on 20,000 draws: 0.375 %, 0.3 %, 0.125 %, 0.01 %, 0.025 %, 0.13 %.
    ['Stripe-like id', 0.008],
    ['Salesforce id, 15 characters', 0.008],
    ['Salesforce id, 18 characters', 0.004],
    ['quietcount token', 0.0005],
    ['base64url, 16 to 48 bytes', 0.001],
    ['random alphanumerics, 16 to 40', 0.003],
  ])('lets at most a share of %s slip by: %d', (kind, share) => {
    const values = identifiers(7, 2000)[kind]!
    expect(values.filter((value) => !personalData(value)).length / values.length).toBeLessThanOrEqual(share)
  })

  it('catches random alphanumerics of 12 to 15 characters in at least 96 of 100', () => {
    const r = seeded(12)
    const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const values = Array.from({ length: 4000 }, () => r.pick(B62, r.int(12, 15)))
    expect(values.filter((value) => !personalData(value)).length / values.length).toBeLessThanOrEqual(0.04)
  })

  it('does not read a run of few distinct characters as a token', () => {
    expect(looksLikeToken('z'.repeat(100))).toBe(false)
  })
})
