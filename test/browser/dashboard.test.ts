import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { StatsResult } from '../../src/shared/stats-types.js'
import { writePlausibleExport } from '../fixtures/plausible-export.js'
import { describeBrowser, launchVisitorBrowser, serveCli, VISITOR_UA } from './harness.js'

// The dashboard as a site owner uses it: `quietcount demo` fills a store, `quietcount serve`
// serves it, Chromium signs in, changes the range, filters, exports CSV and opens a share link;
// every figure on screen is checked against `quietcount report` for the same query.
describeBrowser('dashboard', () => {
  const cli = join(process.cwd(), 'dist/node/cli/main.js')
  const dir = mkdtempSync(join(tmpdir(), 'quietcount-dashboard-'))
  const env = { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'demo.db')}`, QUIETCOUNT_CONFIG: join(dir, 'quietcount.json') }
  const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', cwd: dir })
  const report = (...args: string[]) => JSON.parse(run('report', '--format', 'json', ...args)) as StatsResult
  const results = join(process.cwd(), 'test-results')
  const XSS = '/<img src=x onerror=alert(1)>'
  let url = ''
  let token = ''
  let shareLink = ''
  let browser: Browser
  let server: ReturnType<typeof serveCli>

  beforeAll(async () => {
    token = /token for the dashboard \(shown once\): (\S+)/.exec(run('demo', '--seed', '7', '--days', '120'))![1]!
    shareLink = /^\/share\/[\w-]+/.exec(run('share', 'create', 'demo-civic.test', '--panels', 'page,country,device'))![0]
    server = serveCli([], env, dir)
    url = await server.url
    browser = await launchVisitorBrowser()
    // A real beacon whose path is markup: the dashboard must show it as text.
    const beacon = { v: 1, site: 'demo-blog.test', tz: 'UTC', lang: 'en', screen: 'desktop', pages: [{ path: XSS, flags: 7, views: 1, seconds: 3, scroll: 50 }] }
    const response = await fetch(`${url}/api/collect`, { method: 'POST', body: JSON.stringify(beacon), headers: { 'content-type': 'text/plain', 'user-agent': VISITOR_UA } })
    expect(response.status).toBe(204)
    mkdirSync(results, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
    server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A page that records dialogs and CSP violations, for the tests to assert on. */
  async function open(path: string, options: { bypassCSP?: boolean; width?: number } = {}) {
    const context = await browser.newContext({ acceptDownloads: true, bypassCSP: options.bypassCSP ?? false, viewport: { width: options.width ?? 1280, height: 900 } })
    await context.addInitScript(() => {
      const w = window as unknown as { violations: string[] }
      w.violations = []
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    const page = await context.newPage()
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(url + path)
    return { page, dialogs, requests }
  }

  async function signIn(page: Page, secret = token) {
    await page.fill('#token', secret)
    await page.click('button[type=submit]')
  }
  const metric = (page: Page, key: string) => page.locator(`[data-metric="${key}"]`).textContent()
  const shown = (n: number | null) => (n === null ? '—' : n.toLocaleString('en'))
  const panelValues = (page: Page, breakdown: string) => page.locator(`section[aria-labelledby="panel-${breakdown}"] tbody th`).allInnerTexts()

  it('refuses a wrong token and keeps it out of the URL', async () => {
    const { page } = await open('/')
    await signIn(page, 'not-a-token')
    await expect.poll(() => page.locator('[role=alert]').innerText()).toContain('That token was refused')
    expect(page.url()).not.toContain('not-a-token')
    await page.context().close()
  })

  it('signs in, changes the range, filters by a referrer and removes the filter, each matching quietcount report', async () => {
    const { page, dialogs, requests } = await open('/')
    const started = Date.now()
    await signIn(page)
    await expect.poll(() => page.url()).toContain('site=demo-civic.test')
    const week = report('--site', 'demo-civic.test', '--period', '7d')
    await expect.poll(() => metric(page, 'visitors')).toBe(shown(week.metrics!.visitors))
    expect(await metric(page, 'pageviews')).toBe(shown(week.metrics!.pageviews))
    await page.locator('section[aria-labelledby="panel-referrer"] tbody').waitFor()
    const loadMs = Date.now() - started
    const navigation = await page.evaluate(
      () => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0])) as { domContentLoadedEventEnd: number; loadEventEnd: number },
    )
    writeFileSync(
      join(results, 'dashboard-timing.json'),
      JSON.stringify({ signInToFiguresMs: loadMs, domContentLoadedMs: Math.round(navigation.domContentLoadedEventEnd), loadMs: Math.round(navigation.loadEventEnd) }, null, 2),
    )
    console.log(`[dashboard] page load ${Math.round(navigation.loadEventEnd)} ms; sign-in to top line and panels ${loadMs} ms`)

    // The chart's tooltip names the bucket under the cursor and its figures.
    const chartBox = (await page.locator('.uplot .u-over').boundingBox())!
    await page.mouse.move(chartBox.x + chartBox.width / 2, chartBox.y + chartBox.height / 2)
    await expect.poll(() => page.locator('.tip').innerText()).toMatch(/^\d{4}-\d{2}-\d{2}\nVisitors \d+\nPage views \d+$/)

    await page.selectOption('#period', '30d')
    await expect.poll(() => page.url()).toContain('period=30d')
    const month = report('--site', 'demo-civic.test', '--period', '30d')
    await expect.poll(() => metric(page, 'visitors')).toBe(shown(month.metrics!.visitors))

    await page.locator('section[aria-labelledby="panel-referrer"] button.row-filter', { hasText: 'google.com' }).click()
    await expect.poll(() => decodeURIComponent(page.url())).toContain('filter=referrer:google.com')
    const google = report('--site', 'demo-civic.test', '--period', '30d', '--filter', 'referrer:google.com')
    await expect.poll(() => metric(page, 'visits')).toBe(shown(google.metrics!.visits))
    // Panels load after the top line; the filtered referrer panel holds only the filter's row.
    await expect.poll(() => panelValues(page, 'referrer')).toEqual(['google.com'])

    await page.getByRole('button', { name: 'Remove filter referrer google.com' }).click()
    await expect.poll(() => page.url()).not.toContain('filter=')
    await expect.poll(() => metric(page, 'visits')).toBe(shown(month.metrics!.visits))
    // Back and forward walk the same states, from the URL.
    await page.goBack()
    await expect.poll(() => metric(page, 'visits')).toBe(shown(google.metrics!.visits))

    expect(dialogs).toEqual([])
    expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([])
    expect(requests.filter((r) => !r.startsWith(url))).toEqual([])
    expect(requests.some((r) => r.includes(token))).toBe(false)
    await page.context().close()
  })

  it('loads a view in two stats requests, and says in a panel why a range beyond the detail window cannot fill it', async () => {
    const { page, requests } = await open('/?site=demo-civic.test&period=12mo&filter=referrer:google.com')
    await signIn(page)
    const year = report('--site', 'demo-civic.test', '--period', '12mo', '--filter', 'referrer:google.com', '--breakdown', 'page,referrer,browser_version')
    await expect.poll(() => metric(page, 'visits')).toBe(shown(year.metrics!.visits))
    // The referrer panel and the browser versions come from per-dimension counts; pages need detail.
    await expect.poll(() => panelValues(page, 'referrer')).toEqual(['google.com'])
    const pages = page.locator('section[aria-labelledby="panel-page"] .unavailable')
    await expect.poll(() => pages.innerText()).toBe(year.breakdowns!.page!.unavailable)
    expect(year.breakdowns!.page!.unavailable).toMatch(/^Pages under the filter referrer:google.com need the detail tier, which keeps 62 days/)
    expect(await panelValues(page, 'browser_version')).toEqual(year.breakdowns!.browser_version!.rows.slice(0, 10).map((r) => `${r.parent} ${r.value}`))
    expect(requests.filter((r) => r.includes('/api/stats?'))).toHaveLength(2)
    await page.context().close()
  })

  it('exports each panel as the same CSV that quietcount report writes', async () => {
    const { page } = await open('/?site=demo-civic.test&period=30d')
    await signIn(page)
    for (const [breakdown, title] of [
      ['page', 'Pages'],
      ['referrer', 'Referrers'],
      ['consent', 'Consent decisions'],
    ]) {
      const button = page.getByRole('button', { name: `Export ${title} as CSV` })
      await page.locator(`section[aria-labelledby="panel-${breakdown}"] table`).waitFor()
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()])
      const csv = readFileSync((await download.path())!, 'utf8')
      expect(csv).toBe(run('report', '--site', 'demo-civic.test', '--period', '30d', '--breakdown', breakdown!, '--limit', '10', '--format', 'csv'))
      expect(csv.split('\n').length).toBeGreaterThan(2)
    }
    await page.context().close()
  })

  it('shows a path holding markup as text, and no dialog fires', async () => {
    const { page, dialogs } = await open('/?site=demo-blog.test&period=today')
    await signIn(page)
    const pages = page.locator('section[aria-labelledby="panel-page"]')
    await expect.poll(() => pages.innerText()).toContain(XSS)
    expect(await page.locator('main img').count()).toBe(0)
    expect(dialogs).toEqual([])
    await page.context().close()
  })

  it('marks the days imported from Plausible, and the panels the import has nothing for', async () => {
    writePlausibleExport(join(dir, 'plausible'))
    const imported = spawnSync(process.execPath, [cli, 'import', 'plausible', '--site', 'demo-civic.test', join(dir, 'plausible')], { env, encoding: 'utf8', cwd: dir })
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('imported plausible-20240101-20240102 into demo-civic.test: 2024-01-01 – 2024-01-02, 31 lines')
    // Not a terminal: progress as plain lines, each pass from 0 to 100 %.
    expect(imported.stderr).toMatch(/^checking: 0%\n(.|\n)*checking: 100%\n(.|\n)*writing: 100%\n$/)
    const { page } = await open('/?site=demo-civic.test&period=custom&from=2024-01-01&to=2024-01-02')
    await signIn(page)
    await expect.poll(() => page.locator('p.imported[role=note]').innerText()).toBe('Includes counts imported from Plausible, 2024-01-01 – 2024-01-02.')
    expect(await metric(page, 'visitors')).toBe(shown(report('--site', 'demo-civic.test', '--from', '2024-01-01', '--to', '2024-01-02').metrics!.visitors))
    expect(await metric(page, 'visitors')).toBe('15')
    const languages = page.locator('section[aria-labelledby="panel-language"] p.imported')
    await expect.poll(() => languages.innerText()).toContain('Not in the import from Plausible, 2024-01-01 – 2024-01-02')
    expect(await page.locator('section[aria-labelledby="panel-page"] p.imported').count()).toBe(0)
    await page.context().close()
  })

  it('opens a share link without a token: the site named, its noisy figures with their error, its panels only, complete days', async () => {
    const { page } = await open(`${shareLink}?period=30d`)
    const api = (await (await fetch(`${url}/api${shareLink}?period=30d&breakdown=page&limit=10`)).json()) as StatsResult
    await expect.poll(() => metric(page, 'visitors')).toBe(shown(api.metrics!.visitors))
    // The page shows the link's figures (its panels ask 10 rows); they are the owner's exact ones plus noise of the stated size.
    const exact = report('--site', 'demo-civic.test', '--from', api.from, '--to', api.to)
    expect(Math.abs(api.metrics!.pageviews! - exact.metrics!.pageviews!)).toBeLessThan(6 * api.public!.error.range.pages)
    expect(await page.locator('h1').innerText()).toBe('demo-civic.test: shared statistics')
    const note = await page.locator('p.approximate').innerText()
    expect(note).toContain(`within about ±${Math.round(api.public!.error.day.pages).toLocaleString('en')}`)
    expect(note).toContain(`at least about ${api.public!.threshold.pages.toLocaleString('en')} times`)
    expect(await page.locator('section.panel h2').allInnerTexts()).toEqual(['Pages', 'Countries', 'Devices'])
    await page.locator('section[aria-labelledby="panel-page"] table').waitFor()
    expect(await panelValues(page, 'page')).toEqual(api.breakdowns!.page!.rows.map((r) => r.value))
    expect(await panelValues(page, 'page')).not.toContain('(other)')
    expect(await page.locator('#period option').allInnerTexts()).not.toContain('Today')
    expect(await page.locator('[data-metric="avg_engagement_seconds"]').count()).toBe(0)
    expect(await page.locator('#token').count()).toBe(0)
    // A custom range is whole months.
    await page.selectOption('#period', 'custom')
    await expect.poll(() => page.locator('#from').getAttribute('type')).toBe('month')
    expect(new URL(page.url()).searchParams.get('from')).toMatch(/-01$/)
    await expect.poll(() => page.locator('[data-metric="visitors"]').count()).toBe(1)
    await page.context().close()
  })

  it('has no WCAG 2.2 A/AA violation (axe-core), light and dark, signed in and on a share link', async () => {
    for (const [view, scheme] of [
      ['dashboard', 'light'],
      ['dashboard', 'dark'],
      ['share', 'light'],
      ['share', 'dark'],
    ] as const) {
      const { page } = await open(view === 'share' ? `${shareLink}?period=30d` : '/?site=demo-civic.test&period=30d', { bypassCSP: true })
      await page.emulateMedia({ colorScheme: scheme })
      if (view === 'share') await page.locator('section[aria-labelledby="panel-device"] table').waitFor()
      else {
        await signIn(page)
        await page.locator('section[aria-labelledby="panel-consent"] table').waitFor()
      }
      await page.locator('.uplot').waitFor()
      await page.addScriptTag({ path: 'node_modules/axe-core/axe.min.js' })
      const result = await page.evaluate(async () => {
        const axe = (
          window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[]; passes: unknown[] }> } }
        ).axe
        const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
        return { violations: r.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target).slice(0, 3))}`), passes: r.passes.length }
      })
      console.log(`[axe ${view} ${scheme}] ${result.violations.length} violations, ${result.passes} rules passed`)
      expect(result.violations).toEqual([])
      await page.context().close()
    }
  })

  it('saves screenshots, light and dark, desktop and phone, and fits 360 px without sideways scrolling', async () => {
    for (const [name, width] of [
      ['desktop', 1280],
      ['phone', 360],
    ] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        const { page } = await open('/?site=demo-civic.test&period=30d', { width })
        await page.emulateMedia({ colorScheme: scheme })
        await signIn(page)
        await page.locator('section[aria-labelledby="panel-consent"] table').waitFor()
        await page.locator('.uplot').waitFor()
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
        await page.screenshot({ path: join(results, `dashboard-${scheme}-${name}.png`), fullPage: name === 'desktop' })
        await page.context().close()
      }
    }
  })

  it('moves through sign-in with the keyboard alone', async () => {
    const { page } = await open('/')
    await page.keyboard.type(token)
    await page.keyboard.press('Enter')
    await page.locator('#period').waitFor()
    await page.focus('#period')
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => page.url()).toMatch(/period=(30d|month)/)
    await page.context().close()
  })
})
