import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import { median, round } from './machine.js'

/**
 * Page cost in Chromium: the same page with nothing, with QuietCount (tracker and banner), with
 * plausible-tracker + vanilla-cookieconsent, and with klaro. Each load is a fresh browser context
 * (empty cache); loads are interleaved so that drift on a shared machine hits every variant alike.
 *
 * - script: Chrome's ScriptDuration (CDP Performance.getMetrics) once the page settled;
 * - long tasks: the sum of PerformanceObserver 'longtask' durations;
 * - banner: performance.now() at the first animation frame in which the banner is visible
 *   (polled each frame from an init script; the polling itself is the same for every variant);
 * - bytes: encoded bytes of every response (CDP Network.loadingFinished).
 */

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
const TEXT = `<h1>A civic organisation</h1>${'<p>We publish our minutes, our accounts and our events. Join us.</p>'.repeat(20)}`

export const VARIANTS = {
  empty: { head: '', banner: '' },
  quietcount: {
    head: '<script defer src="/q/quietcount.js" data-site="bench.test" data-allow-localhost data-collector="/api/collect"></script>',
    banner: "document.getElementById('quietcount-consent')?.shadowRoot?.querySelector('section.b:not([hidden])')",
  },
  'plausible+cookieconsent': {
    head: '<link rel="stylesheet" href="/p/cookieconsent.css"><script defer src="/p/cookieconsent.umd.js"></script><script defer src="/p/cc-init.js"></script><script defer src="/p/plausible.js"></script>',
    banner: "document.querySelector('#cc-main .cm')",
  },
  klaro: {
    head: '<script defer src="/k/config.js"></script><script defer src="/k/klaro.js"></script>',
    banner: "document.querySelector('.klaro .cookie-notice, .klaro .cookie-modal')",
  },
} as const
export type Variant = keyof typeof VARIANTS

// hideFromBots: false, because it would take the automated browser for a bot and show nothing.
const CC_INIT = `CookieConsent.run({
  hideFromBots: false,
  categories: { necessary: { enabled: true, readOnly: true }, analytics: {} },
  language: { default: 'en', translations: { en: {
    consentModal: { title: 'We count visits', description: 'With your consent we count page views.', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', showPreferencesBtn: 'Preferences' },
    preferencesModal: { title: 'Preferences', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', savePreferencesBtn: 'Save', sections: [{ title: 'Analytics', linkedCategory: 'analytics' }] } } } }
})`
const KLARO_CONFIG = `window.klaroConfig = { elementID: 'klaro', lang: 'en', services: [{ name: 'analytics', title: 'Analytics', purposes: ['analytics'] }] }`

function serve(plausible: string) {
  const files: Record<string, [string, string]> = {
    '/q/quietcount.js': [readFileSync('dist/quietcount.js', 'utf8'), 'text/javascript'],
    '/p/cookieconsent.css': [readFileSync('node_modules/vanilla-cookieconsent/dist/cookieconsent.css', 'utf8'), 'text/css'],
    '/p/cookieconsent.umd.js': [readFileSync('node_modules/vanilla-cookieconsent/dist/cookieconsent.umd.js', 'utf8'), 'text/javascript'],
    '/p/cc-init.js': [CC_INIT, 'text/javascript'],
    '/p/plausible.js': [plausible, 'text/javascript'],
    '/k/config.js': [KLARO_CONFIG, 'text/javascript'],
    '/k/klaro.js': [readFileSync('node_modules/klaro/dist/klaro.js', 'utf8'), 'text/javascript'],
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const variant = /^\/page\/([\w+]+)$/.exec(path)?.[1] as Variant | undefined
    if (variant && variant in VARIANTS) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>${VARIANTS[variant].head}</head><body>${TEXT}</body></html>`)
    } else if (files[path]) {
      res.writeHead(200, { 'content-type': files[path]![1], 'cache-control': 'no-store' }).end(files[path]![0])
    } else res.writeHead(path.startsWith('/api/') ? 204 : 404).end()
  })
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  )
}

export interface PageCost {
  variant: Variant
  loads: number
  scriptMs: number
  longTaskMs: number
  bannerMs: number | null
  bytes: number
}

export async function measurePageCost(loads: number, plausible: string): Promise<PageCost[]> {
  const site = await serve(plausible)
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS })
  const samples = new Map<Variant, { script: number[]; longTasks: number[]; banner: number[]; bytes: number[] }>()
  try {
    for (let i = 0; i < loads + 1; i++) {
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        const context = await browser.newContext()
        const page = await context.newPage()
        const cdp = await context.newCDPSession(page)
        await cdp.send('Performance.enable')
        await cdp.send('Network.enable')
        let bytes = 0
        cdp.on('Network.loadingFinished', (event) => void (bytes += event.encodedDataLength))
        const banner = VARIANTS[variant].banner
        await page.addInitScript(`
          window.__longTasks = 0
          new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks += e.duration }).observe({ type: 'longtask', buffered: true })
          ${banner ? `const look = () => { const b = ${banner}; if (b && b.getClientRects().length && getComputedStyle(b).visibility != 'hidden') window.__banner = performance.now(); else requestAnimationFrame(look) }; requestAnimationFrame(look)` : ''}
        `)
        await page.goto(`${site.url}/page/${variant}`, { waitUntil: 'load' })
        if (banner)
          await page.waitForFunction('window.__banner !== undefined', undefined, { timeout: 10_000 }).catch(async (error: Error) => {
            throw new Error(`${variant}: no banner became visible (${error.message}); page text: ${(await page.innerText('body')).slice(0, 200)}`)
          })
        await page.waitForTimeout(300)
        const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
        const measured = (await page.evaluate('({ longTasks: window.__longTasks, banner: window.__banner })')) as { longTasks: number; banner?: number }
        await context.close()
        if (i === 0) continue // the first round warms the browser and the server
        const s = samples.get(variant) ?? { script: [], longTasks: [], banner: [], bytes: [] }
        s.script.push((metrics.ScriptDuration ?? 0) * 1000)
        s.longTasks.push(measured.longTasks)
        if (measured.banner !== undefined) s.banner.push(measured.banner)
        s.bytes.push(bytes)
        samples.set(variant, s)
      }
    }
  } finally {
    await browser.close()
    site.close()
  }
  return [...samples].map(([variant, s]) => ({
    variant,
    loads: s.script.length,
    scriptMs: round(median(s.script)),
    longTaskMs: round(median(s.longTasks)),
    bannerMs: s.banner.length ? round(median(s.banner)) : null,
    bytes: median(s.bytes),
  }))
}
