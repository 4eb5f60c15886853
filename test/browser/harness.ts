import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, inject } from 'vitest'
import { startServer } from '../../examples/server.mjs'
import type { Beacon } from '../../src/shared/protocol.js'
import { CHROMIUM } from './setup.js'

/** The launch flags this workplace's Chromium needs, plus one that makes it look like a person's. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  // navigator.webdriver stays false, as in a visitor's browser; tests of the automation
  // exclusion set it back on.
  '--disable-blink-features=AutomationControlled',
]

/** `describe`, or a reported skip when setup found no Chromium (never under CI=true). */
export const describeBrowser = (name: string, fn: () => void) => {
  const missing = inject('chromiumMissing')
  return missing ? describe.skip(`${name} (skipped: ${missing})`, fn) : describe(name, fn)
}

export interface Site {
  url: string
  beacons: Beacon[]
  /** Raw bodies of every request the pages made to /api/collect, as sent. */
  bodies: string[]
  browser: Browser
  /**
   * A fresh context (no cookies, no storage), with requests to other origins answered locally.
   * `bypassCsp` lets a test inject tools (axe-core) into a page served with a strict CSP.
   */
  context(options?: { gpc?: boolean; webdriver?: boolean; bypassCsp?: boolean }): Promise<BrowserContext>
  page(path: string, options?: { gpc?: boolean; webdriver?: boolean }): Promise<Page>
}

/**
 * Starts the example site and Chromium once for a test file (or a describe block). `scripts`
 * serves every page with the core or the fullest build variant of its script.
 */
export function useSite({ scripts }: { scripts?: 'core' | 'fullest' } = {}): Site {
  const site = { bodies: [] as string[] } as Site
  let close: () => Promise<unknown>
  // Each test's pages are closed after it, and what they still send (a page left for another
  // sends its engagement as it goes) is let arrive, so that no test reads the one before it.
  const opened: BrowserContext[] = []
  beforeAll(async () => {
    const server = await startServer({ quiet: true, scripts })
    close = server.close
    site.url = server.url
    site.beacons = server.beacons
    site.browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((context) => context.close().catch(() => {})))
    await settled(site)
  })
  afterAll(async () => {
    await site.browser?.close()
    await close?.()
  })
  site.context = async ({ gpc = false, webdriver = false, bypassCsp = false } = {}) => {
    const context = await site.browser.newContext({ bypassCSP: bypassCsp })
    opened.push(context)
    // The machine has no network: outbound links land on a local stand-in page.
    await context.route(/^https?:\/\/(?!localhost)/, (route) => route.fulfill({ contentType: 'text/html', body: '<title>elsewhere</title>' }))
    if (gpc) await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }))
    if (webdriver) await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => true }))
    context.on('request', (request) => {
      if (request.url().endsWith('/api/collect')) site.bodies.push(request.postData() ?? '')
    })
    return context
  }
  site.page = async (path, options) => {
    const page = await (await site.context(options)).newPage()
    await page.goto(site.url + path)
    return page
  }
  return site
}

/** Resolves once the site has received nothing for 300 ms (at most 5 s: a page that still sends is the next test's finding). */
async function settled(site: Site) {
  let seen = -1
  for (let waited = 0; waited < 5_000 && seen !== site.bodies.length + site.beacons.length; waited += 300) {
    seen = site.bodies.length + site.beacons.length
    await new Promise((done) => setTimeout(done, 300))
  }
}

/** Today's local date as the last-visit cookie writes it. */
export const today = () => {
  const d = new Date()
  return String(d.getFullYear() * 1e4 + (d.getMonth() + 1) * 100 + d.getDate())
}

/** Every page record received so far, flattened. */
export const pageRecords = (site: Site) => site.beacons.flatMap((b) => b.pages ?? [])
export const eventRecords = (site: Site) => site.beacons.flatMap((b) => b.events ?? [])

/** Empties what the site received, between tests. */
export const reset = (site: Site) => {
  site.beacons.length = 0
  site.bodies.length = 0
}

/** The launch flags plus an ordinary Chrome user agent, for visitors the collector must count (it drops "HeadlessChrome"). */
export const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
export const launchVisitorBrowser = () => chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, `--user-agent=${VISITOR_UA}`] })

/** Starts `quietcount serve …` (the built CLI) and resolves with its URL once it listens. */
export function serveCli(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const cli = join(process.cwd(), 'dist/node/cli/main.js')
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { env, cwd })
  const output: string[] = []
  const url = new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString())
      const match = /collector on (http:\/\/\S+)/.exec(output.join(''))
      if (match) resolve(match[1]!)
    })
    server.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    server.on('exit', (code) => reject(new Error(`quietcount serve exited with ${code}: ${output.join('')}`)))
  })
  return { url, output, stop: () => server.kill('SIGTERM') }
}
