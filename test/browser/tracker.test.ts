import { beforeEach, expect, it } from 'vitest'
import { FLAG } from '../../src/shared/protocol.js'
import { describeBrowser, eventRecords, pageRecords, reset, today, useSite } from './harness.js'

// The example pages in examples/, served on localhost and loaded in Debian's Chromium. Each test
// says which beacons a visitor's actions produce, read both where the sink received them and as
// the raw request bodies the page sent.
// Twice: on the build variants the pages name, then with every page on the fullest variant.
for (const scripts of [undefined, 'fullest'] as const)
  describeBrowser(`tracker in Chromium${scripts ? ', every page on the fullest variant' : ''}`, () => {
    const site = useSite({ scripts })
    const fullest = scripts === 'fullest'
    beforeEach(() => reset(site))
    // A state to wait for; the limit only ends a wait for something that never comes (a busy machine is slow, not wrong).
    const waitFor = (what: () => unknown) => expect.poll(what, { timeout: 15_000, interval: 100 })

    it(`loads ${scripts ? 'the fullest variant' : 'the variant the page names'}`, async () => {
      const page = await site.page('/')
      const sources = await page.evaluate(() => [...document.scripts].map((s) => s.getAttribute('src')).filter(Boolean))
      expect(sources).toContain(fullest ? '/dist/quietcount-tracker.outbound.downloads.hash.not-found.js' : '/dist/quietcount-tracker.outbound.downloads.js')
      await page.context().close()
    })
    /** Waits longer than the flush delay, so that "nothing was sent" is a finding, not a race. */
    const quiet = (ms = 1_600) => new Promise((done) => setTimeout(done, ms))

    it('sends nothing and stores no cookie before consent; then one page view with visitor flags', async () => {
      const page = await site.page('/')
      await quiet()
      expect(site.bodies).toEqual([])
      expect(await page.context().cookies()).toEqual([])

      await page.click('#allow')
      await waitFor(() => pageRecords(site).length).toBe(1)
      const beacon = site.beacons[0]!
      expect(beacon).toMatchObject({ v: 1, site: 'example.test', lang: 'en', screen: expect.any(String), tz: expect.any(String) })
      expect(pageRecords(site)[0]).toEqual({ path: '/', flags: FLAG.entry | FLAG.newToday | FLAG.newThisMonth, views: 1, seconds: 0, scroll: 0 })
      const cookies = await page.context().cookies()
      expect(cookies.map(({ name, value, sameSite }) => ({ name, value, sameSite }))).toEqual([{ name: 'qc_last_visit', value: today(), sameSite: 'Lax' }])
    })

    it('counts a reload as neither a new visit nor a new visitor', async () => {
      const page = await site.page('/')
      await page.click('#allow')
      await waitFor(() => pageRecords(site).length).toBe(1)
      reset(site)
      await page.reload()
      await waitFor(() => pageRecords(site).filter((r) => r.views).length).toBe(1)
      expect(pageRecords(site).find((r) => r.views)).toMatchObject({ path: '/', flags: 0, views: 1 })
    })

    it('records the sign-up form submit as /join only: no name, no e-mail anywhere', async () => {
      const page = await site.page('/')
      await page.click('#allow')
      await page.fill('input[name=name]', 'Jane Quietly')
      await page.fill('input[name=email]', 'jane.quietly@example.org')
      await Promise.all([page.waitForURL(/\/join\?/), page.click('button[type=submit]')])
      expect(page.url()).toContain('email=jane.quietly%40example.org')
      await waitFor(() => pageRecords(site).some((r) => r.path.startsWith('/join'))).toBe(true)
      expect(
        pageRecords(site)
          .filter((r) => r.views)
          .map((r) => r.path),
      ).toEqual(['/', '/join'])
      const everything = site.bodies.join('\n') + JSON.stringify(await page.context().cookies())
      for (const secret of ['Jane', 'Quietly', 'jane.quietly', 'example.org', 'name=', 'email']) expect(everything).not.toContain(secret)
    })

    it('scrubs a path holding an e-mail and drops its query', async () => {
      const page = await site.page('/')
      await page.click('#allow')
      await page.click('a[href^="/user/"]')
      await waitFor(() => pageRecords(site).map((r) => r.path)).toContain('/user/[email]')
      expect(site.bodies.join('\n')).not.toMatch(/jane|abc123|session/)
    })

    it('follows SPA navigation: pushState and popstate count, replaceState of the same path does not', async () => {
      const page = await site.page('/app/')
      await page.click('#allow')
      await page.click('[data-to="/app/pricing"]')
      await page.click('[data-to="/app/orders/12345678"]')
      await page.click('[data-replace]')
      await page.goBack()
      await page.click('a[href="#/settings"]')
      await page.evaluate(() => (window as unknown as { quietcount: { flush(): void } }).quietcount.flush())
      const views = () => {
        const byPath: Record<string, number> = {}
        for (const r of pageRecords(site)) if (r.views) byPath[r.path] = (byPath[r.path] ?? 0) + r.views
        return byPath
      }
      // Identical records in one beacon merge: the two views of /app/pricing may arrive as one.
      await waitFor(views).toEqual({ '/app/': 1, '/app/pricing': 2, '/app/orders/[number]': 1, '/app/pricing#/settings': 1 })
      // Only the page the browser loaded starts a visit. Its engagement record carries its flags
      // too, with no view (the collector counts visits as flagged views): under load it comes
      // in a beacon of its own, so only records with views are counted here.
      const entries = pageRecords(site).filter((r) => r.flags & FLAG.entry && r.views)
      expect(entries.map((r) => r.path)).toEqual(['/app/'])
    })

    it('reports visible time and scroll depth when the page is left', async () => {
      const page = await site.page('/app/')
      await page.click('#allow')
      await new Promise((done) => setTimeout(done, 2_200))
      await page.close({ runBeforeUnload: true })
      await waitFor(() => pageRecords(site).filter((r) => r.views === 0).length).toBeGreaterThan(0)
      const engagement = pageRecords(site).filter((r) => r.views === 0)
      expect(engagement.reduce((s, r) => s + r.seconds, 0)).toBeGreaterThanOrEqual(2)
      expect(engagement.every((r) => r.path === '/app/')).toBe(true)
      // The first screenful counts as seen, measured after the first frame rather than during load.
      expect(engagement.reduce((s, r) => s + r.scroll, 0)).toBeGreaterThan(0)
    })

    it('counts a custom event, and refuses one whose prop is an e-mail with a warning naming the rule', async () => {
      const page = await site.page('/')
      const warnings: string[] = []
      page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()))
      await page.click('#allow')
      await page.click('#event')
      await page.click('#event')
      await page.click('#bad-event')
      await waitFor(() => eventRecords(site).length).toBe(1)
      expect(eventRecords(site)).toEqual([{ name: 'Demo Button', path: '/', props: { color: 'green' }, count: 2 }])
      expect(warnings).toEqual(['quietcount: event "Demo Button" not sent: prop "email" looks like personal data (key)'])
      expect(site.bodies.join('')).not.toContain('jane@example.org')
    })

    /** A page of the example site whose tracker tag is `tag`, with a file link and an outbound link. */
    const variantPage = async (file: string, attributes: string) => {
      const context = await site.context()
      const page = await context.newPage()
      const warnings: string[] = []
      page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()))
      await page.route(`${site.url}/variant`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><title>variant</title><script defer src="/dist/${file}" data-site="example.test" data-allow-localhost data-cookieless ${attributes}></script><a href="/files/report.pdf">report</a> <a href="https://example.org/elsewhere">elsewhere</a>`,
        }),
      )
      await page.goto(`${site.url}/variant`)
      return { page, warnings }
    }
    const ALL = 'data-outbound data-downloads data-hash data-not-found'

    it('core file: asked for the opt-in features, warns once naming the file that has them, and counts none of them', async () => {
      const { page, warnings } = await variantPage('quietcount-tracker.js', ALL)
      await waitFor(() => pageRecords(site).length).toBe(1)
      await page.click('a[href="/files/report.pdf"]')
      await quiet()
      expect(warnings).toEqual([
        'quietcount: quietcount-tracker.js has no data-outbound, data-downloads, data-hash, data-not-found; load quietcount-tracker.outbound.downloads.hash.not-found.js instead',
      ])
      expect(eventRecords(site)).toEqual([])
    })

    it('a variant with some features names the file with those and the missing ones', async () => {
      const { warnings } = await variantPage('quietcount-tracker.hash.js', 'data-hash data-downloads')
      await waitFor(() => pageRecords(site).length).toBe(1)
      expect(warnings).toEqual(['quietcount: quietcount-tracker.hash.js has no data-downloads; load quietcount-tracker.downloads.hash.js instead'])
    })

    it('fullest file: every opt-in feature works, with no warning', async () => {
      const { page, warnings } = await variantPage('quietcount-tracker.outbound.downloads.hash.not-found.js', ALL)
      await waitFor(() => eventRecords(site).map((e) => e.name)).toEqual(['404'])
      await page.click('a[href="/files/report.pdf"]')
      await page.goto(`${site.url}/variant`)
      await Promise.all([page.waitForURL('https://example.org/elsewhere'), page.click('a[href^="https://example.org"]')])
      await waitFor(() =>
        eventRecords(site)
          .map((e) => e.name)
          .sort(),
      ).toEqual(['404', '404', 'File Download', 'Outbound Link'])
      expect(warnings).toEqual([])
    })

    it('counts file downloads and outbound links when opted in', async () => {
      const page = await site.page('/')
      await page.click('#allow')
      await page.click('a[href="/files/report.pdf"]')
      await page.goto(`${site.url}/`)
      await Promise.all([page.waitForURL('https://example.org/elsewhere'), page.click('a[href^="https://example.org"]')])
      await waitFor(() =>
        eventRecords(site)
          .map((e) => e.name)
          .sort(),
      ).toEqual(['File Download', 'Outbound Link'])
      expect(eventRecords(site).map(({ name, props }) => ({ name, props }))).toEqual(
        expect.arrayContaining([
          { name: 'File Download', props: { url: '/files/report.pdf' } },
          { name: 'Outbound Link', props: { url: 'example.org/elsewhere' } },
        ]),
      )
    })

    it('counts a 404 page view with the event 404', async () => {
      const page = await site.page('/no/such/page')
      await page.click('#allow')
      await waitFor(() => eventRecords(site).map((e) => e.name)).toEqual(['404'])
      expect(pageRecords(site).filter((r) => r.views)).toEqual([expect.objectContaining({ path: '/no/such/page', views: 1 })])
    })

    it('works as an npm module imported by the page', async () => {
      const page = await site.page('/npm.html')
      await page.click('#allow')
      await page.click('#event')
      await waitFor(() => site.beacons.length).toBeGreaterThan(0)
      await waitFor(() => pageRecords(site).map((r) => r.path)).toEqual(['/npm.html'])
      expect(eventRecords(site)[0]).toMatchObject({ name: 'Demo Button', path: '/npm.html' })
    })

    it('deletes the visitor cookie and stops sending when consent is withdrawn', async () => {
      const page = await site.page('/')
      await page.click('#allow')
      await waitFor(() => site.beacons.length).toBe(1)
      expect((await page.context().cookies()).map((c) => c.name)).toEqual(['qc_last_visit'])
      await page.click('#refuse')
      expect(await page.context().cookies()).toEqual([])
      reset(site)
      await page.click('#event')
      await page.goto(`${site.url}/join`)
      await quiet()
      expect(site.bodies).toEqual([])
    })

    for (const [what, options] of [
      ['Global Privacy Control', { gpc: true }],
      ['an automated browser', { webdriver: true }],
    ] as const) {
      it(`makes no request at all and stores nothing under ${what}`, async () => {
        const page = await site.page('/', options)
        await page.click('#allow')
        await page.click('#event')
        await page.goto(`${site.url}/app/`)
        await page.click('[data-to="/app/pricing"]')
        await quiet()
        expect(site.bodies).toEqual([])
        expect(await page.context().cookies()).toEqual([])
      })
    }

    it('counts nothing on localhost unless the page allows it', async () => {
      const page = await site.page('/defaults.html')
      const info: string[] = []
      page.on('console', (message) => info.push(message.text()))
      await page.reload()
      await page.click('#allow')
      await quiet()
      expect(site.bodies).toEqual([])
      expect(info).toContain('quietcount: not counting (localhost)')
    })

    it('lets the site owner exclude their own browser with #quietcount-exclude, and undo it', async () => {
      const page = await site.page('/#quietcount-exclude')
      await page.click('#allow')
      await page.goto(`${site.url}/join`)
      await quiet()
      expect(site.bodies).toEqual([])
      await page.goto(`${site.url}/#quietcount-include`)
      await page.reload()
      await waitFor(() => site.beacons.length).toBeGreaterThan(0)
    })
  })
