// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://www.example.test/", "settings": {"enableJavaScriptEvaluation": true, "suppressInsecureJavaScriptEnvironmentWarning": true, "disableJavaScriptFileLoading": true, "handleDisabledFileLoadingAsSuccess": true, "disableIframePageLoading": true}}
import { afterEach, describe, expect, it, vi } from 'vitest'
import { en } from '../../src/browser/consent/i18n.js'
import { createConsent } from '../../src/browser/consent/index.js'
import type { Beacon } from '../../src/shared/protocol.js'

type Win = { runs?: string[]; dataLayer?: IArguments[]; gtag?: unknown }
const win = window as unknown as Win
const settle = () => new Promise((done) => setTimeout(done, 20))
const names = () =>
  document.cookie
    .split('; ')
    .filter(Boolean)
    .map((pair) => pair.split('=')[0])
    .sort()
const categories = [
  { id: 'marketing', label: 'Marketing', cookies: ['_mk', /^_ga/] },
  { id: 'media', label: { en: 'Videos', es: 'Vídeos' }, cookies: ['yt_pref'] },
]
/** The page as a site writes it: gated scripts of two categories interleaved, one external. */
const page = () => {
  document.body.innerHTML = `
    <script type="text/plain" data-consent="marketing">runs.push('m1')</script>
    <script type="text/plain" data-consent="media">runs.push('v1')</script>
    <script type="text/plain" data-consent="marketing" src="/tag.js" async></script>
    <script type="text/plain" data-consent="marketing">runs.push('m2')</script>
    <script type="text/plain" data-consent="marketing media">runs.push('both')</script>
    <iframe data-consent="media" data-src="https://video.example/embed/1" title="Video"></iframe>`
  win.runs = []
  // External scripts do not run here: record the order in which the gate inserts runnable copies.
  const inserted: string[] = []
  new MutationObserver((records) => {
    for (const r of records) for (const node of r.addedNodes) if (node instanceof HTMLScriptElement) inserted.push(node.src ? 'tag.js' : /'(\w+)'/.exec(node.text)![1]!)
  }).observe(document.body, { childList: true })
  return inserted
}

afterEach(() => {
  vi.restoreAllMocks()
  for (const name of names()) document.cookie = `${name}=; max-age=0; path=/`
  document.body.replaceChildren()
  delete win.gtag
  delete win.dataLayer
  Object.defineProperty(navigator, 'globalPrivacyControl', { value: undefined, configurable: true })
})

describe('script gating', () => {
  it('runs nothing before consent, then each granted script once, in document order', async () => {
    const inserted = page()
    const consent = createConsent({ categories })
    await settle()
    expect(win.runs).toEqual([])
    expect(document.querySelectorAll('script[type="text/plain"]')).toHaveLength(5)

    consent.set({ marketing: true })
    await settle()
    expect(win.runs).toEqual(['m1', 'm2'])
    expect(inserted).toEqual(['m1', 'tag.js', 'm2'])
    const tag = document.querySelector<HTMLScriptElement>('script[src]')!
    expect([tag.type, tag.getAttribute('data-consent'), tag.hasAttribute('async')]).toEqual(['', 'marketing', true])

    consent.acceptAll()
    consent.acceptAll()
    await settle()
    expect(win.runs).toEqual(['m1', 'm2', 'v1', 'both'])
    expect(document.querySelectorAll('script[type="text/plain"]')).toHaveLength(0)
  })

  it('keeps an iframe without src behind a placeholder that offers to accept, and unloads it on withdrawal', async () => {
    page()
    const consent = createConsent({ categories, lang: 'es' })
    const frame = document.querySelector('iframe')!
    expect([frame.hidden, frame.getAttribute('src')]).toEqual([true, null])
    const placeholder = frame.previousElementSibling!.shadowRoot!
    expect(placeholder.querySelector('p')!.textContent).toBe('Este contenido necesita tu consentimiento para «Vídeos».')
    placeholder.querySelector('button')!.click()
    expect(consent.granted('media')).toBe(true)
    expect(consent.granted('marketing')).toBe(false)
    expect([frame.hidden, frame.getAttribute('src')]).toEqual([false, 'https://video.example/embed/1'])
    expect(frame.previousElementSibling?.hasAttribute('data-quietcount-placeholder')).toBe(false)
    consent.set({ media: false })
    expect([frame.hidden, frame.getAttribute('src')]).toEqual([true, 'about:blank'])
    expect(frame.previousElementSibling?.hasAttribute('data-quietcount-placeholder')).toBe(true)
    await settle()
  })
})

describe('withdrawal', () => {
  it('deletes the cookies declared for a withdrawn category at once, by name and pattern; others stay', () => {
    const consent = createConsent({ categories })
    consent.acceptAll()
    for (const name of ['_mk', '_ga', '_ga_XYZ', 'yt_pref', 'site_session']) document.cookie = `${name}=1; path=/`
    consent.set({ marketing: false })
    expect(names()).toEqual(['qc_consent', 'site_session', 'yt_pref'])
    consent.rejectAll()
    expect(names()).toEqual(['qc_consent', 'site_session'])
  })

  it('deletes them on load too when their category is not granted', () => {
    document.cookie = '_ga=1; path=/'
    createConsent({ categories })
    expect(names()).toEqual([])
  })
})

describe('signals', () => {
  it('Global Privacy Control keeps optional categories off, shows no banner, and says so in the dialog', () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true })
    document.cookie = `qc_consent=0.7.${new Date().toISOString().slice(0, 10).replace(/-/g, '')}; path=/`
    const consent = createConsent({ categories })
    expect(['analytics', 'marketing', 'media'].map((c) => consent.granted(c))).toEqual([false, false, false])
    const root = document.getElementById('quietcount-consent')!.shadowRoot!
    expect(root.querySelector('section')!.hidden).toBe(true)
    consent.showPreferences()
    expect(root.querySelector('.n')!.textContent).toContain('Global Privacy Control')
    expect([...root.querySelectorAll('input')].map((box) => [box.checked, box.disabled])).toEqual([
      [true, true],
      [false, true],
      [false, true],
      [false, true],
    ])
  })

  it('a site may ignore GPC', () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true })
    const consent = createConsent({ ignoreGpc: true })
    consent.acceptAll()
    expect(consent.granted('analytics')).toBe(true)
  })
})

describe('Google Consent Mode v2 and consent counts', () => {
  it('emits default, then update, with the four storage types', () => {
    const consent = createConsent({ categories, gcm: true })
    consent.set({ marketing: true })
    expect(win.dataLayer!.map((args) => [...args])).toEqual([
      ['consent', 'default', { analytics_storage: 'denied', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' }],
      ['consent', 'update', { analytics_storage: 'denied', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' }],
    ])
  })

  it('counts each decision by kind and category, with nothing else in the beacon', () => {
    const beacons: Beacon[] = []
    const consent = createConsent({ categories, counts: true, collector: (beacon) => void beacons.push(beacon) })
    consent.acceptAll()
    consent.set({ media: false })
    consent.rejectAll()
    expect(beacons).toEqual(
      (['accept-all', 'custom', 'reject-all'] as const).map((decision, i) => ({
        v: 1,
        site: 'example.test',
        consents: [{ decision, categories: { analytics: i < 2, marketing: i < 2, media: i === 0 }, count: 1 }],
      })),
    )
  })
})

describe('languages', () => {
  it('follow <html lang>, and a site adds one with one object', () => {
    document.documentElement.lang = 'es-MX'
    createConsent()
    expect(document.getElementById('quietcount-consent')!.shadowRoot!.querySelector('h2')!.textContent).toBe('Cookies en este sitio')
    document.body.replaceChildren()
    document.documentElement.lang = 'en'
    expect(() => createConsent({ lang: 'fr', languages: { fr: { ...en, title: 'Cookies sur ce site' } } })).not.toThrow()
    expect(document.getElementById('quietcount-consent')!.getAttribute('lang')).toBe('fr')
  })
})
