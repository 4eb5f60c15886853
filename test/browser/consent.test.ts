import type { Page } from 'playwright-core'
import { beforeEach, expect, it } from 'vitest'
import type { Beacon } from '../../src/shared/protocol.js'
import { describeBrowser, pageRecords, reset, today, useSite } from './harness.js'

// examples/consent.html in Debian's Chromium, served with a strict CSP (examples/server.mjs):
// the full build dist/quietcount.js, a gated external script, a gated inline script and a gated
// iframe. Each test says what exists and what was requested after a visitor's actions.
// Twice: on the core build (dist/quietcount.js, as the page names it), then on the fullest variant.
for (const scripts of ['core', 'fullest'] as const)
  describeBrowser(`consent manager in Chromium, ${scripts} variant`, () => {
    const site = useSite({ scripts })
    beforeEach(() => reset(site))
    // A state to wait for; the limit only ends a wait for something that never comes (a busy machine is slow, not wrong).
    const waitFor = (what: () => unknown) => expect.poll(what, { timeout: 15_000, interval: 100 })
    /** Waits longer than the tracker's flush delay, so that "nothing was sent" is a finding. */
    const quiet = (ms = 1_600) => new Promise((done) => setTimeout(done, ms))
    const GATED = ['/gated.js', '/embed.html']

    interface Visit {
      page: Page
      /** Paths of every request the page made, in order. */
      requests: string[]
      /** CSP violations, from the page's own event and from Chromium's console. */
      violations: string[]
    }
    const open = async (query = '', options: { gpc?: boolean; bypassCsp?: boolean; width?: number; height?: number } = {}): Promise<Visit> => {
      const context = await site.context(options)
      await context.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)),
      )
      const page = await context.newPage()
      if (options.width) await page.setViewportSize({ width: options.width, height: options.height ?? 640 })
      const visit: Visit = { page, requests: [], violations: [] }
      page.on('request', (request) => visit.requests.push(new URL(request.url()).pathname))
      page.on('console', (message) => /CSP violation|Content Security Policy|Refused to/.test(message.text()) && visit.violations.push(message.text()))
      await page.goto(`${site.url}/consent.html${query}`)
      await page.waitForSelector('#quietcount-consent', { state: 'attached' })
      return visit
    }
    const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true })
    const cookies = async (page: Page) => Object.fromEntries((await page.context().cookies()).map((c) => [c.name, c.value]))
    const gatedRuns = (page: Page) => page.evaluate(() => (window as { gatedRuns?: string[] }).gatedRuns)
    const consents = () => site.beacons.flatMap((b: Beacon) => b.consents ?? [])
    /** The focused element, inside shadow roots too, by its accessible text. */
    const focused = (page: Page) =>
      page.evaluate(() => {
        let element = document.activeElement
        while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement
        return element?.getAttribute('aria-label') || element?.id || element?.textContent || element?.tagName
      })
    const inDialog = (page: Page) =>
      page.evaluate(() => {
        const root = document.getElementById('quietcount-consent')!.shadowRoot!
        return !!root.activeElement && !!root.activeElement.closest('dialog')
      })

    it('before any click: the banner, and no optional cookie, no gated request, no beacon, no CSP violation', async () => {
      const { page, requests, violations } = await open()
      await expect(button(page, 'Accept all').isVisible()).resolves.toBe(true)
      await expect(button(page, 'Reject all').isVisible()).resolves.toBe(true)
      await expect(button(page, 'Preferences').isVisible()).resolves.toBe(true)
      await quiet()
      expect(await cookies(page)).toEqual({})
      expect(requests.filter((path) => GATED.includes(path) || path === '/api/collect')).toEqual([])
      expect(site.bodies).toEqual([])
      expect(await gatedRuns(page)).toBeUndefined()
      await expect(page.getByText('This content needs your consent for “Videos”.').isVisible()).resolves.toBe(true)
      expect(violations).toEqual([])
    })

    it('gives "Accept all", "Reject all" and "Preferences" the same element, size and colours', async () => {
      const { page } = await open()
      const looks = await page.evaluate(() => {
        const root = document.getElementById('quietcount-consent')!.shadowRoot!
        return [...root.querySelectorAll('section button')].map((b) => {
          const style = getComputedStyle(b)
          return [b.tagName, b.getBoundingClientRect().height, style.color, style.backgroundColor, style.fontWeight, style.fontSize, style.borderColor]
        })
      })
      expect(looks).toHaveLength(3)
      expect(new Set(looks.map((l) => JSON.stringify(l))).size).toBe(1)
    })

    it('reject all: still no optional cookie and no gated request; only a cookieless consent count is sent', async () => {
      const { page, requests, violations } = await open()
      await button(page, 'Reject all').click()
      await waitFor(() => consents().length).toBe(1)
      await quiet()
      expect(await cookies(page)).toEqual({ qc_consent: `0.0.${today()}` })
      expect(requests.filter((path) => GATED.includes(path))).toEqual([])
      expect(await gatedRuns(page)).toBeUndefined()
      expect(pageRecords(site)).toEqual([])
      expect(site.beacons).toEqual([
        { v: 1, site: 'example.test', consents: [{ decision: 'reject-all', categories: { analytics: false, marketing: false, media: false }, count: 1 }] },
      ])
      // Remembered: the next page shows no banner and runs nothing.
      await page.reload()
      await page.waitForSelector('#quietcount-consent', { state: 'attached' })
      await expect(button(page, 'Accept all').isVisible()).resolves.toBe(false)
      expect(await gatedRuns(page)).toBeUndefined()
      expect(violations).toEqual([])
    })

    it('accept all: gated scripts run once, in document order; the iframe loads; the tracker counts', async () => {
      const { page, requests, violations } = await open()
      await button(page, 'Accept all').click()
      await waitFor(() => gatedRuns(page)).toEqual(['external', 'inline'])
      await waitFor(() => requests.includes('/embed.html')).toBe(true)
      await waitFor(() => pageRecords(site).length).toBe(1)
      await waitFor(async () => Object.keys(await cookies(page)).sort()).toEqual(['demo_marketing', 'demo_media', 'demo_mk_inline', 'qc_consent', 'qc_last_visit'])
      expect((await cookies(page)).qc_consent).toBe(`0.7.${today()}`)
      expect(consents()).toEqual([{ decision: 'accept-all', categories: { analytics: true, marketing: true, media: true }, count: 1 }])
      await expect(page.getByText('This content needs your consent', { exact: false }).count()).resolves.toBe(0)
      // Once: another decision does not run them again.
      await page.evaluate(() => (window as unknown as { quietcountConsent: { acceptAll(): void } }).quietcountConsent.acceptAll())
      await quiet(500)
      expect(await gatedRuns(page)).toEqual(['external', 'inline'])
      expect(requests.filter((path) => path === '/gated.js')).toHaveLength(1)
      expect(violations).toEqual([])
    })

    it("reopen and withdraw: the categories' cookies are gone at once, the embed unloads, the tracker stops", async () => {
      const { page, violations } = await open()
      await button(page, 'Accept all').click()
      await waitFor(async () => Object.keys(await cookies(page)).length).toBe(5)
      await page.reload()
      await page.waitForSelector('#quietcount-consent', { state: 'attached' })
      await waitFor(() => gatedRuns(page)).toEqual(['external', 'inline'])

      await button(page, 'Privacy preferences').click()
      const dialog = page.getByRole('dialog', { name: 'Privacy preferences' })
      await expect(dialog.getByRole('checkbox', { name: 'Marketing' }).isChecked()).resolves.toBe(true)
      await dialog.getByRole('checkbox', { name: 'Marketing' }).uncheck()
      await dialog.getByRole('checkbox', { name: 'Videos' }).uncheck()
      await dialog.getByRole('button', { name: 'Save choices' }).click()
      expect(await cookies(page)).toEqual({ qc_consent: `0.1.${today()}`, qc_last_visit: today() })
      await expect(page.getByText('This content needs your consent for “Videos”.').isVisible()).resolves.toBe(true)
      expect(await page.locator('iframe').getAttribute('src')).toBe('about:blank')

      await button(page, 'Privacy preferences').click()
      await button(page, 'Reject all').click()
      expect(await cookies(page)).toEqual({ qc_consent: `0.0.${today()}` })
      reset(site)
      await page.evaluate(() => (window as unknown as { quietcount: { pageview(): void; flush(): void } }).quietcount.pageview())
      await quiet()
      expect(pageRecords(site)).toEqual([])
      expect(violations).toEqual([])
    })

    it('works with the keyboard alone: banner, dialog, focus trapped, Escape closes without deciding, focus restored', async () => {
      const { page } = await open()
      // The banner comes first in the tab order: its policy link, then its three choices.
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('Privacy policy')
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('Accept all')
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('Reject all')
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('Preferences')
      await page.keyboard.press('Enter')
      await expect(page.getByRole('dialog').isVisible()).resolves.toBe(true)
      expect(await inDialog(page)).toBe(true)
      // Escape closes without deciding, and focus goes back to "Preferences".
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog').isVisible()).resolves.toBe(false)
      expect(await focused(page)).toBe('Preferences')
      expect(await cookies(page)).toEqual({})

      await page.keyboard.press('Enter')
      // Nothing is pre-ticked; Tab never leaves the dialog.
      const seen: string[] = []
      for (let i = 0; i < 14; i++) {
        await page.keyboard.press('Tab')
        expect(await inDialog(page)).toBe(true)
        seen.push(String(await focused(page)))
      }
      expect(seen).toEqual(expect.arrayContaining(['Close without deciding', 'c-analytics', 'c-marketing', 'c-media', 'Accept all', 'Reject all', 'Save choices']))
      for (const id of ['c-analytics', 'c-marketing', 'c-media']) {
        expect(await page.getByRole('checkbox', { name: { 'c-analytics': 'Statistics', 'c-marketing': 'Marketing', 'c-media': 'Videos' }[id] }).isChecked()).toBe(false)
      }
      // Statistics and videos, by keyboard: Space ticks, Enter on "Save choices" decides.
      while ((await focused(page)) !== 'c-analytics') await page.keyboard.press('Tab')
      await page.keyboard.press('Space')
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('c-media')
      await page.keyboard.press('Space')
      while ((await focused(page)) !== 'Save choices') await page.keyboard.press('Tab')
      await page.keyboard.press('Enter')
      await expect(page.getByRole('dialog').isVisible()).resolves.toBe(false)
      await waitFor(async () => (await cookies(page)).qc_consent).toBe(`0.5.${today()}`)
      await waitFor(() => page.evaluate(() => document.querySelector('iframe')?.getAttribute('src'))).toBe('/embed.html')
      expect(await gatedRuns(page)).toBeUndefined()
    })

    it('under Global Privacy Control: no banner, and the dialog shows optional categories off and why', async () => {
      const { page, requests } = await open('', { gpc: true })
      await quiet(500)
      await expect(button(page, 'Accept all').isVisible()).resolves.toBe(false)
      await page.click('#settings')
      const dialog = page.getByRole('dialog')
      await expect(dialog.getByText('Global Privacy Control').isVisible()).resolves.toBe(true)
      for (const name of ['Statistics', 'Marketing', 'Videos']) {
        const box = dialog.getByRole('checkbox', { name })
        expect([await box.isChecked(), await box.isDisabled()]).toEqual([false, true])
      }
      expect(requests.filter((path) => GATED.includes(path) || path === '/api/collect')).toEqual([])
    })

    it('fits 320 px wide and 200 % zoom (a 640 × 360 viewport): every button reachable, no sideways scrolling', async () => {
      for (const [width, height] of [
        [320, 640],
        [640, 360],
      ] as const) {
        const { page } = await open('', { width, height })
        for (const name of ['Accept all', 'Reject all', 'Preferences']) {
          const box = (await button(page, name).boundingBox())!
          expect(box.x).toBeGreaterThanOrEqual(0)
          expect(box.x + box.width).toBeLessThanOrEqual(width)
          await button(page, name).scrollIntoViewIfNeeded()
        }
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width)
        await button(page, 'Preferences').click()
        const save = page.getByRole('dialog').getByRole('button', { name: 'Save choices' })
        await save.scrollIntoViewIfNeeded()
        const box = (await save.boundingBox())!
        expect(box.x + box.width).toBeLessThanOrEqual(width)
        expect(box.y + box.height).toBeLessThanOrEqual(height)
      }
    })

    // The EU languages beyond en and es are fetched from dist/lang/ beside the script. Under the
    // page's strict CSP (no bypass: axe-core itself is served from the page's origin), the banner
    // shows in the page's language, never first in English, with no axe violation.
    it.each([
      ['en', 'Cookies on this site', 'Preferences', 'Privacy preferences'],
      ['es', 'Cookies en este sitio', 'Preferencias', 'Preferencias de privacidad'],
      ['de', 'Cookies auf dieser Website', 'Einstellungen', 'Datenschutzeinstellungen'],
      ['pl', 'Pliki cookie w tej witrynie', 'Ustawienia', 'Ustawienia prywatności'],
    ])(
      'a %s page shows its banner in its language under the strict CSP, without a flash of English, axe-core at 0 WCAG 2.2 A/AA violations in banner and dialog',
      async (lang, title, prefs, dialogName) => {
        const context = await site.context({})
        await context.addInitScript(() => {
          document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`))
          // Every text the consent UI's shadow root ever held, to find English in it, however briefly.
          const seen: string[] = []
          ;(window as unknown as { consentTexts: string[] }).consentTexts = seen
          const attach = Element.prototype.attachShadow
          Element.prototype.attachShadow = function (init) {
            const root = attach.call(this, init)
            new MutationObserver(() => seen.push(root.textContent ?? '')).observe(root, { childList: true, subtree: true, characterData: true, attributes: true })
            return root
          }
        })
        const page = await context.newPage()
        const violations: string[] = []
        const requests: string[] = []
        page.on('console', (message) => /CSP violation|Content Security Policy|Refused to/.test(message.text()) && violations.push(message.text()))
        page.on('request', (request) => requests.push(new URL(request.url()).pathname))
        // The language file comes late, so that a banner shown before it would be seen.
        await page.route('**/dist/lang/*.json', async (route) => {
          await new Promise((resolve) => setTimeout(resolve, 400))
          await route.continue()
        })
        await page.route('**/axe.min.js', (route) => route.fulfill({ path: 'node_modules/axe-core/axe.min.js', contentType: 'text/javascript' }))
        await page.goto(`${site.url}/consent.html?lang=${lang}`)
        await expect.poll(() => page.getByRole('region', { name: title }).isVisible(), { timeout: 15_000 }).toBe(true)
        expect(requests.filter((path) => path.startsWith('/dist/lang/'))).toEqual(lang === 'en' || lang === 'es' ? [] : [`/dist/lang/${lang}.json`])
        const texts = await page.evaluate(() => (window as unknown as { consentTexts: string[] }).consentTexts)
        expect(texts.length).toBeGreaterThan(0)
        if (lang !== 'en') expect(texts.filter((text) => /Cookies on this site|Accept all|Reject all/.test(text))).toEqual([])
        await page.addScriptTag({ url: `${site.url}/axe.min.js` })
        const check = () =>
          page.evaluate(async () => {
            // The banner slides in: measure contrast once it is fully opaque.
            await Promise.all(
              document
                .getElementById('quietcount-consent')!
                .shadowRoot!.getAnimations()
                .map((a) => a.finished),
            )
            const axe = (
              window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[]; passes: unknown[] }> } }
            ).axe
            const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
            return { violations: result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`), passes: result.passes.length }
          })
        const banner = await check()
        expect(banner.violations).toEqual([])
        expect(banner.passes).toBeGreaterThan(5)
        await button(page, prefs).click()
        await expect(page.getByRole('dialog', { name: dialogName }).isVisible()).resolves.toBe(true)
        const dialog = await check()
        expect(dialog.violations).toEqual([])
        expect(violations).toEqual([])
        console.log(`[axe ${lang}, strict CSP] banner: ${banner.violations.length} violations (${banner.passes} rules passed); dialog: ${dialog.violations.length} violations`)
        await context.close()
      },
    )
  })
