// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://example.test/"}
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cookieDeclaration, DECLARED_COOKIES } from '../../src/browser/cookie-declaration.js'
import { createCookieJar, dayStamp, LAST_VISIT, valueSpace } from '../../src/browser/cookies.js'
import { visitorFlags } from '../../src/browser/visitor.js'
import { FLAG } from '../../src/shared/protocol.js'

const clearCookies = () => {
  for (const pair of document.cookie.split('; ').filter(Boolean)) document.cookie = `${pair.split('=')[0]}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`
}
/** Records every raw `document.cookie = …` write, attributes included. */
const watchWrites = () => {
  const writes: string[] = []
  let proto = Object.getPrototypeOf(document)
  while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto)
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'cookie')!
  vi.spyOn(document, 'cookie', 'set').mockImplementation(function (this: Document, value: string) {
    writes.push(value)
    descriptor.set!.call(this, value)
  })
  return writes
}
const jarWith = (granted: boolean) => createCookieJar(DECLARED_COOKIES, (category) => category === 'necessary' || granted)

afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
  clearCookies()
})

describe('cookie declarations', () => {
  it('declare every cookie with a category, a purpose and a lifetime of at most 13 months', () => {
    expect(DECLARED_COOKIES.map((c) => c.name)).toContain(LAST_VISIT.name)
    for (const cookie of DECLARED_COOKIES) {
      expect(cookie.days).toBeGreaterThan(0)
      expect(cookie.days).toBeLessThanOrEqual(396)
      expect(cookie.category).toMatch(/^[a-z]+$/)
      expect(cookie.purpose.length).toBeGreaterThan(40)
    }
  })

  it('export a table for the privacy policy', () => {
    expect(cookieDeclaration()).toEqual([
      {
        name: 'qc_last_visit',
        category: 'analytics',
        purpose: expect.stringContaining('date of your last visit'),
        lifetime: '32 days',
        contents: expect.stringContaining('no identifier'),
      },
      {
        name: 'qc_consent',
        category: 'necessary',
        purpose: expect.stringContaining('cookie choice'),
        lifetime: '183 days',
        contents: expect.stringContaining('no identifier'),
      },
    ])
    const extra = { name: 'yt_pref', category: 'media', days: 180, value: 'day' as const, purpose: 'Video player preferences of the embedded player.' }
    expect(cookieDeclaration([extra]).map((row) => row.name)).toEqual(['qc_last_visit', 'qc_consent', 'yt_pref'])
  })

  // The value space is measured, not declared: every string the jar accepts, over a universe of
  // candidates far larger than the schema (ten years of dates and random strings), is counted.
  it.each(DECLARED_COOKIES.map((c) => [c.name, c] as const))('%s holds at most 16 bits and no per-person value', (_, cookie) => {
    const jar = jarWith(true)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const candidates = new Set<string>()
    const start = new Date()
    for (let d = -5 * 366; d <= 5 * 366; d++) candidates.add(dayStamp(new Date(start.getFullYear(), start.getMonth(), start.getDate() + d)))
    const random = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('')
    for (let i = 0; i < 5_000; i++) {
      candidates.add(random('0123456789', 1 + (i % 12)))
      candidates.add(random('abcdefghijklmnopqrstuvwxyz0123456789-_', 1 + (i % 40)))
    }
    // A consent value has a shape of its own: offer every value of a wider schema too (one more
    // category bit, the next revision, days beyond the lifetime on both sides).
    if (cookie.value === 'consent') {
      const ahead = new Date(start.getFullYear(), start.getMonth(), start.getDate() + 2)
      for (const revision of [cookie.revision, cookie.revision + 1]) {
        for (const value of valueSpace({ ...cookie, revision, categories: cookie.categories + 1, days: cookie.days + 5 }, ahead)) candidates.add(value)
      }
      // Second spellings and overflows of an accepted value, and impossible dates.
      const today = dayStamp(start)
      for (const bits of ['01', '+1', '-1', '1e0', ' 1', '4294967296', '4294967297', '0x1', '']) candidates.add(`${cookie.revision}.${bits}.${today}`)
      for (const day of [`${today.slice(0, 4)}0231`, `${today.slice(0, 6)}32`, `${today.slice(0, 4)}1301`, `${today}0`, `+${today.slice(1)}`])
        candidates.add(`${cookie.revision}.1.${day}`)
      candidates.add(`0${cookie.revision}.1.${today}`).add(`${cookie.revision}.1.${today}.1`).add(`${cookie.revision}.1`)
    }
    const accepted = [...candidates].filter((value) => jar.set(cookie.name, value))
    const bits = Math.log2(accepted.length)
    expect(accepted.length).toBeGreaterThan(0)
    expect(bits).toBeLessThanOrEqual(16)
    expect(accepted.sort()).toEqual(valueSpace(cookie).sort())
    // Two visitors on the same day write the very same value: it names a day, not a person.
    clearCookies()
    expect(visitorFlags(jar)).not.toBe(0)
    const first = document.cookie
    clearCookies()
    visitorFlags(jar)
    expect(document.cookie).toBe(first)
  })
})

describe('cookie jar', () => {
  it('writes a declared cookie with SameSite=Lax, Secure on https, and its lifetime', () => {
    const writes = watchWrites()
    expect(jarWith(true).set('qc_last_visit', dayStamp())).toBe(true)
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatch(new RegExp(`^qc_last_visit=${dayStamp()}; path=/; expires=[^;]+; sameSite=Lax; secure$`))
    const expires = Date.parse(writes[0]!.split('expires=')[1]!.split(';')[0]!)
    expect(Math.round((expires - Date.now()) / 864e5)).toBe(32)
  })

  it.each([
    ['an undeclared name', 'tracking_id', '20260101', true, 'quietcount: cookie "tracking_id" refused: not declared'],
    ['a value outside the schema', 'qc_last_visit', 'u-8f3a2c', true, 'quietcount: cookie "qc_last_visit" refused: value "u-8f3a2c" is not a day'],
    ['a date older than the lifetime', 'qc_last_visit', '20000101', true, 'quietcount: cookie "qc_last_visit" refused: value "20000101" is not a day'],
    ['no consent for its category', 'qc_last_visit', dayStamp(), false, 'quietcount: cookie "qc_last_visit" refused: no consent for analytics'],
  ])('refuses %s, says why and writes nothing', (_, name, value, granted, message) => {
    const writes = watchWrites()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(jarWith(granted).set(name, value)).toBe(false)
    expect(warn).toHaveBeenCalledWith(message)
    expect(writes).toEqual([])
    expect(document.cookie).toBe('')
  })

  it('reads nothing without consent, and ignores a tampered value', () => {
    document.cookie = `qc_last_visit=${dayStamp()}; path=/`
    expect(jarWith(false).get('qc_last_visit')).toBeUndefined()
    expect(jarWith(true).get('qc_last_visit')).toBe(dayStamp())
    document.cookie = 'qc_last_visit=550e8400e29b41d4; path=/'
    expect(jarWith(true).get('qc_last_visit')).toBeUndefined()
  })
})

describe('visitor flags', () => {
  it('flag the first view of the day and of the month, then nothing', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(2026, 10, 23, 10))
    const jar = jarWith(true)
    expect(visitorFlags(jar)).toBe(FLAG.newToday | FLAG.newThisMonth)
    expect(visitorFlags(jar)).toBe(0)
    vi.setSystemTime(new Date(2026, 10, 24, 9))
    expect(visitorFlags(jar)).toBe(FLAG.newToday)
    vi.setSystemTime(new Date(2026, 11, 1, 9))
    expect(visitorFlags(jar)).toBe(FLAG.newToday | FLAG.newThisMonth)
    expect(document.cookie).toBe('qc_last_visit=20261201')
  })

  it('are not sent when the browser keeps no cookie, so a visitor is not counted on every view', () => {
    vi.spyOn(document, 'cookie', 'set').mockImplementation(() => {})
    expect(visitorFlags(jarWith(true))).toBe(0)
  })
})
