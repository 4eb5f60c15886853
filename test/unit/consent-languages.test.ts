// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://example.test/"}
import { readdirSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { en, es, FETCHED, fetchStrings, pickLanguage, type Strings } from '../../src/browser/consent/i18n.js'
import { createConsent } from '../../src/browser/consent/index.js'

// The EU's 24 official languages: en and es built in, the other 22 one file each
// (src/browser/consent/languages/, built to dist/lang/), fetched only for a page that asks.

const DIR = 'src/browser/consent/languages'
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { sizeBudgets: Record<string, number> }
const BUDGET = pkg.sizeBudgets['dist/lang/*.json']!
const files = readdirSync(DIR).map((file) => file.replace(/\.json$/, ''))
const load = (code: string) => JSON.parse(readFileSync(`${DIR}/${code}.json`, 'utf8')) as Strings
const all: [string, Strings][] = [['en', en], ['es', es], ...files.map((code): [string, Strings] => [code, load(code)])]

afterEach(() => {
  vi.restoreAllMocks()
  document.body.replaceChildren()
  document.documentElement.lang = ''
})

describe('consent languages', () => {
  it('are the 24 official languages of the EU: en and es built in, the others fetched, one file each', () => {
    const EU = 'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ')
    expect([...files].sort()).toEqual([...FETCHED].sort())
    expect(['en', 'es', ...FETCHED].sort()).toEqual(EU)
  })

  it.each(all)('%s has every string, non-empty, plain, with {} where the category goes and nowhere else', (_, strings) => {
    expect(Object.keys(strings).sort()).toEqual(Object.keys(en).sort())
    for (const [key, value] of Object.entries(strings)) {
      expect(typeof value, key).toBe('string')
      expect(value.trim(), key).toBe(value)
      expect(value.length, key).toBeGreaterThan(1)
      // Plain text: the UI sets textContent, but markup in a translation would show as such.
      expect(value, key).not.toMatch(/[<>]/)
      expect(value.includes('{}'), key).toBe(key === 'blocked' || key === 'allow')
    }
    // Short: a banner, not a policy.
    expect(strings.text.length).toBeLessThanOrEqual(180)
    expect(strings.title.length).toBeLessThanOrEqual(40)
  })

  it.each(all)('%s gives accept and reject the same weight: both short, neither more than 1.5 times the other', (_, { accept, reject }) => {
    expect(Math.max(accept.length, reject.length)).toBeLessThanOrEqual(24)
    expect(Math.max(accept.length, reject.length) / Math.min(accept.length, reject.length)).toBeLessThanOrEqual(1.5)
    expect(accept).not.toBe(reject)
  })

  it.each(files)(`dist/lang/%s.json is the minified file, within its budget of ${BUDGET} bytes gzipped`, (code) => {
    const built = readFileSync(`dist/lang/${code}.json`)
    expect(JSON.parse(built.toString())).toEqual(load(code))
    expect(built.toString()).toBe(JSON.stringify(load(code)))
    expect(gzipSync(built, { level: 9 }).length).toBeLessThanOrEqual(BUDGET)
  })

  it('picks a fetched language only when it may be fetched, and says which codes exist', () => {
    document.documentElement.lang = 'de-AT'
    expect(pickLanguage({ en, es }, undefined, FETCHED)).toEqual(['de', undefined])
    expect(pickLanguage({ en, es })).toEqual(['en', en])
    expect(pickLanguage({ en, es }, 'pl', FETCHED)).toEqual(['pl', undefined])
    expect(() => pickLanguage({ en, es }, 'ja', FETCHED)).toThrow('quietcount: lang "ja" must be one of en, es, bg, cs')
    // A language given in the configuration wins over fetching it.
    const de = { ...load('de'), title: 'Eigene Überschrift' }
    expect(pickLanguage({ en, es, de }, undefined, FETCHED)).toEqual(['de', de])
  })

  it('refuses a language file that is missing, incomplete or not JSON, naming the URL', async () => {
    const answer = (body: string, status = 200) => vi.spyOn(globalThis, 'fetch').mockResolvedValueOnce(new Response(body, { status }))
    answer('', 404)
    await expect(fetchStrings('/lang/de.json')).rejects.toBe('/lang/de.json 404')
    const { title: _, ...untitled } = load('de')
    answer(JSON.stringify(untitled))
    await expect(fetchStrings('/lang/de.json')).rejects.toBe('/lang/de.json has no title')
    answer('<html>')
    await expect(fetchStrings('/lang/de.json')).rejects.toThrow()
    answer(JSON.stringify(load('de')))
    await expect(fetchStrings('/lang/de.json')).resolves.toEqual(load('de'))
  })

  it('shows nothing until the language file is here, then the banner in that language; English if it fails, with a warning', async () => {
    let arrive: (response: Response) => void = () => {}
    vi.spyOn(globalThis, 'fetch').mockReturnValueOnce(new Promise((resolve) => (arrive = resolve)))
    document.documentElement.lang = 'pl'
    createConsent({ languageUrl: (code) => `/assets/lang/${code}.json` })
    expect(globalThis.fetch).toHaveBeenCalledWith('/assets/lang/pl.json', expect.anything())
    const shadow = () => document.getElementById('quietcount-consent')?.shadowRoot
    await new Promise((resolve) => setTimeout(resolve, 20))
    // No banner to replace: nothing in English in the meantime.
    expect(shadow()?.textContent ?? '').not.toContain(en.title)
    expect(shadow()?.querySelector('section:not([hidden])')).toBeFalsy()
    arrive(new Response(JSON.stringify(load('pl'))))
    await vi.waitFor(() => expect(shadow()?.textContent).toContain('Pliki cookie w tej witrynie'))
    expect(shadow()!.textContent).toContain('Odrzuć wszystkie')

    document.body.replaceChildren()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.spyOn(globalThis, 'fetch').mockResolvedValueOnce(new Response('', { status: 404 }))
    createConsent({ languageUrl: (code) => `/assets/lang/${code}.json` })
    await vi.waitFor(() => expect(shadow()?.textContent).toContain(en.title))
    expect(warn).toHaveBeenCalledWith('quietcount: consent language pl: /assets/lang/pl.json 404; showing en')
  })
})
