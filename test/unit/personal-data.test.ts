import { describe, expect, it } from 'vitest'
import { type PersonalDataRule, personalData, personalProp } from '../../src/shared/personal-data.js'

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
  ['abcdefghijklmn1', undefined], // 15 characters: too short for a token
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
  // number
  ['12345', 'number'],
  ['10115', 'number'],
  ['order-98765', 'number'],
  ['20261123', 'number'],
  // token
  ['abcdefghijklmno1', 'token'],
  ['ABCDEFGHIJKLMNO1', 'token'],
  ['a1b2c3d4e5f6g7h8', 'token'],
  ['eyJhbGciOiJIUzI1NiJ9', 'token'],
  ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'token'],
]

describe('personalData', () => {
  it.each(valueCases)('%j -> %s', (value, rule) => {
    expect(personalData(value)).toBe(rule)
  })
})

const BLOCKED_KEYS = [
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
