// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://example.test/"}
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createConsent } from '../../src/browser/consent/index.js'
import { consentCookie, readChoice, writeChoice } from '../../src/browser/consent/state.js'
import { createCookieJar, dayStamp, valueSpace } from '../../src/browser/cookies.js'

const clearAll = () => {
  for (const pair of document.cookie.split('; ').filter(Boolean)) document.cookie = `${pair.split('=')[0]}=; max-age=0; path=/`
}
const consentValue = () => /(?:^|; )qc_consent=([^;]*)/.exec(document.cookie)?.[1]
const banner = () => document.getElementById('quietcount-consent')?.shadowRoot?.querySelector('section')

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  clearAll()
  document.body.replaceChildren()
})

describe('consent state', () => {
  const ids = ['analytics', 'marketing', 'media']
  const cookie = consentCookie(3, 2, 183)
  const jar = createCookieJar([cookie], () => true)

  it('stores only the revision, the granted categories as bits and the day, and reads them back', () => {
    expect(writeChoice(jar, cookie, ids, { analytics: true, marketing: false, media: true })).toBe(true)
    expect(consentValue()).toBe(`2.5.${dayStamp()}`)
    expect(readChoice(jar, cookie, ids)).toEqual({ analytics: true, marketing: false, media: true })
  })

  it('remembers a refusal like a consent', () => {
    writeChoice(jar, cookie, ids, {})
    expect(consentValue()).toBe(`2.0.${dayStamp()}`)
    expect(readChoice(jar, cookie, ids)).toEqual({ analytics: false, marketing: false, media: false })
  })

  it('holds under 14 bits even at the widest: 5 optional categories, 13 months', () => {
    expect(Math.log2(valueSpace(consentCookie(5, 9999, 396)).length)).toBeLessThan(14)
    expect(Math.log2(valueSpace(consentCookie(3, 0, 183)).length)).toBeLessThan(11)
  })

  it('re-asks after a new revision, and deletes the old cookie', () => {
    createConsent({ revision: 1 }).acceptAll()
    expect(consentValue()).toBe(`1.1.${dayStamp()}`)
    document.body.replaceChildren()
    const consent = createConsent({ revision: 2 })
    expect(consent.decided()).toBe(false)
    expect(consent.granted('analytics')).toBe(false)
    expect(banner()?.hidden).toBe(false)
    expect(consentValue()).toBeUndefined()
  })

  it('expires after its lifetime (default 6 months), then asks again', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(2026, 0, 10, 12))
    createConsent().rejectAll()
    vi.setSystemTime(new Date(2026, 6, 11, 12)) // 182 days later: still remembered
    document.body.replaceChildren()
    expect(createConsent().decided()).toBe(true)
    vi.setSystemTime(new Date(2026, 6, 13, 12)) // 184 days later: beyond 183
    document.body.replaceChildren()
    expect(createConsent().decided()).toBe(false)
  })

  it('honours a lifetime in months, at most 13, and refuses other values naming them', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(2026, 0, 10, 12))
    createConsent({ months: 13 }).acceptAll()
    vi.setSystemTime(new Date(2027, 0, 30, 12))
    expect(createConsent({ months: 13 }).decided()).toBe(true)
    expect(() => createConsent({ months: 14 })).toThrow('quietcount: months 14 must be an integer from 1 to 13')
    expect(() => createConsent({ revision: -1 })).toThrow('quietcount: revision -1 must be an integer from 0 to 9999')
    expect(() => createConsent({ categories: [{ id: 'Ads!' }] })).toThrow('quietcount: category id "Ads!" must be')
    expect(() => createConsent({ categories: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })) })).toThrow('at most 4 categories')
    expect(() => createConsent({ lang: 'fr' })).toThrow('quietcount: lang "fr" must be one of en, es (add it under languages)')
  })

  it('ignores a tampered cookie and deletes it', () => {
    document.cookie = 'qc_consent=0.1.20260101-8f3a2c; path=/'
    expect(createConsent().decided()).toBe(false)
    expect(consentValue()).toBeUndefined()
  })

  it('shows no pre-ticked category, and tells listeners each decision; set() keeps what it does not name', () => {
    const consent = createConsent({ categories: [{ id: 'marketing', label: 'Marketing' }] })
    const seen: object[] = []
    consent.on('change', (choice) => seen.push(choice))
    consent.showPreferences()
    const boxes = [...document.getElementById('quietcount-consent')!.shadowRoot!.querySelectorAll<HTMLInputElement>('input:not([disabled])')]
    expect(boxes.map((b) => [b.id, b.checked])).toEqual([
      ['c-analytics', false],
      ['c-marketing', false],
    ])
    consent.set({ marketing: true })
    consent.set({ analytics: true })
    expect(seen).toEqual([
      { analytics: false, marketing: true },
      { analytics: true, marketing: true },
    ])
    expect(consent.granted('necessary')).toBe(true)
    expect(() => consent.set({ markting: true })).toThrow('quietcount: category "markting" must be one of analytics, marketing')
  })
})
