import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { StatsResult } from '../../src/shared/stats-types.js'
import { describeBrowser, launchVisitorBrowser, serveCli } from './harness.js'

// End to end, as a site owner runs it: `quietcount serve --examples` (the built CLI, SQLite),
// Chromium clicking through the example site, then `quietcount report`, which must show exactly
// the page views, visits, visitors and events this test produced.
describeBrowser('collector end to end', () => {
  const cli = join(process.cwd(), 'dist/node/cli/main.js')
  const dir = mkdtempSync(join(tmpdir(), 'quietcount-e2e-'))
  const env = { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'e2e.db')}`, QUIETCOUNT_CONFIG: join(dir, 'quietcount.json') }
  let url = ''
  let browser: Browser
  let server: ReturnType<typeof serveCli>

  beforeAll(async () => {
    server = serveCli(['--examples'], env, dir)
    url = await server.url
    // Headless Chromium says "HeadlessChrome", which the collector drops as a bot: these visitors
    // present an ordinary Chromium's user agent, browser-wide, so that beacons sent while a page
    // unloads carry it too (a per-context override does not reach them).
    browser = await launchVisitorBrowser()
    // A first `serve --examples` seeds a year of demo traffic before it listens: long work, which
    // took over 120 s in a full run on a busy 2-core machine.
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const report = (...args: string[]) =>
    JSON.parse(
      execFileSync(process.execPath, [cli, 'report', '--site', 'example.test', '--period', 'today', '--format', 'json', ...args], { env, encoding: 'utf8' }),
    ) as StatsResult

  const visitor = () => browser.newContext()

  it('counts exactly what two visitors did, and not a crawler', async () => {
    const crawlerContext = await browser.newContext({ userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' })
    const answered: number[] = []
    crawlerContext.on('requestfinished', async (request) => request.url().endsWith('/api/collect') && answered.push((await request.response())!.status()))
    const crawler = await crawlerContext.newPage()
    await crawler.goto(`${url}/example`)
    await crawler.click('#allow')
    await crawler.click('#event')
    // Its beacon leaves on the timer, with its own user agent: wait for its answer, however slow the machine.
    await expect.poll(() => answered.length, { timeout: 15_000 }).toBeGreaterThan(0)
    await crawler.close()
    expect(answered).toEqual([204]) // sent and acknowledged like any beacon, yet counted below as nothing
    // Visitor 1: home, allows analytics, two custom events, the SPA with two navigations.
    const first = await visitor()
    const page = await first.newPage()
    await page.goto(`${url}/example`)
    await page.click('#allow')
    await page.click('#event')
    await page.click('#event')
    await page.goto(`${url}/app/`)
    await page.click('[data-to="/app/pricing"]')
    await page.click('[data-to="/app/orders/12345678"]')
    await page.close({ runBeforeUnload: true })
    // Visitor 2: arrives from a search engine on the pricing page, allows analytics.
    const second = await visitor()
    const other = await second.newPage()
    await other.goto(`${url}/app/pricing?utm_source=newsletter&email=x%40y.z`, { referer: 'https://duckduckgo.com/' })
    await other.click('#allow')
    await other.close({ runBeforeUnload: true })

    // Page views: /example, /app/, /app/pricing, /app/orders/[number] (visitor 1) and /app/pricing (2).
    // Visits: /example and /app/ (loaded without a referrer from the site) and visitor 2's entry.
    await expect.poll(() => report().metrics!.pageviews, { timeout: 15_000 }).toBe(5)
    const { metrics } = report()
    expect(metrics).toMatchObject({ pageviews: 5, visits: 3, visitors: 2, monthly_visitors: 2, events: 2 })

    const pages = report('--breakdown', 'page').breakdowns!.page!.rows
    expect(Object.fromEntries(pages.map((r) => [r.value, r.pageviews]))).toEqual({ '/example': 1, '/app/': 1, '/app/pricing': 2, '/app/orders/[number]': 1 })
    const referrers = report('--breakdown', 'referrer').breakdowns!.referrer!.rows
    expect(referrers.find((r) => r.value === 'duckduckgo.com')).toMatchObject({ visits: 1, pageviews: 1 })
    expect(report('--breakdown', 'source').breakdowns!.source!.rows.find((r) => r.value === 'newsletter')).toMatchObject({ pageviews: 1 })
    expect(report('--breakdown', 'event').breakdowns!.event!.rows).toEqual([{ value: 'Demo Button', count: 2 }])
    // Client hints name the brand: Chromium, major version 156; the UA string is not kept.
    expect(report('--breakdown', 'browser').breakdowns!.browser!.rows.map((r) => r.value)).toEqual(['Chromium'])
  }, 90_000) // three browser contexts and seven runs of the CLI: long work, not a time limit

  it('prints the same counts as a table and as CSV', () => {
    const table = execFileSync(process.execPath, [cli, 'report', '--site', 'example.test', '--period', 'today'], { env, encoding: 'utf8' })
    expect(table).toMatch(/pageviews\s+5/)
    const csv = execFileSync(process.execPath, [cli, 'report', '--site', 'example.test', '--period', 'today', '--breakdown', 'page', '--format', 'csv'], { env, encoding: 'utf8' })
    expect(csv.split('\n')[0]).toBe('value,visitors,visits,pageviews,avg_engagement_seconds')
    expect(csv).toContain('/app/pricing,')
  })
})
