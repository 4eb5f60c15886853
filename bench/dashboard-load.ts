import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { median, round } from './machine.js'
import { startServe } from './serve.js'

/**
 * The dashboard as a site owner opens it: `quietcount demo` (a year of the demo sites, the store
 * `npm start` fills), `quietcount serve`, and Chromium navigating to a view with the token
 * already in the tab's session storage. Measured in the page: from the navigation's start to the
 * first frame in which the top line, the chart and every panel are filled (no "Loading…" left).
 */

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
const cli = join(process.cwd(), 'dist/node/cli/main.js')

export interface DashboardLoad {
  period: string
  loads: number
  p50: number
  min: number
  max: number
}

export async function measureDashboardLoad(dir: string, periods: string[], loads: number): Promise<{ pageviews: number; rows: DashboardLoad[] }> {
  const env = { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'demo.db')}`, QUIETCOUNT_CONFIG: join(dir, 'demo.json') }
  const seeded = execFileSync(process.execPath, [cli, 'demo', '--days', '365'], { env, encoding: 'utf8', cwd: dir })
  const token = /\(shown once\): (\S+)/.exec(seeded)![1]!
  const pageviews = Number(/seeded ([\d,]+) page views/.exec(seeded)![1]!.replaceAll(',', ''))
  const { url, stop } = await startServe([], { env, cwd: dir })
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS })
  try {
    const rows: DashboardLoad[] = []
    for (const period of periods) {
      const times: number[] = []
      for (let i = 0; i <= loads; i++) {
        const context = await browser.newContext()
        await context.addInitScript((secret: string) => {
          sessionStorage.setItem('quietcount-token', secret)
          const w = window as unknown as { filledAt?: number }
          const check = () => {
            const filled =
              document.querySelector('.top-line') &&
              document.querySelector('.uplot') &&
              document.querySelectorAll('section.panel').length > 0 &&
              !document.querySelector('section.panel [role=status]')
            if (filled) w.filledAt = performance.now()
            else requestAnimationFrame(check)
          }
          requestAnimationFrame(check)
        }, token)
        const page = await context.newPage()
        await page.goto(`${url}/?site=demo-civic.test&period=${period}`)
        await page.waitForFunction(() => (window as unknown as { filledAt?: number }).filledAt !== undefined, undefined, { timeout: 60_000 })
        if (i > 0) times.push(await page.evaluate(() => (window as unknown as { filledAt: number }).filledAt)) // the first load warms the server
        await context.close()
      }
      rows.push({ period, loads, p50: round(median(times), 1), min: round(Math.min(...times), 1), max: round(Math.max(...times), 1) })
    }
    return { pageviews, rows }
  } finally {
    await browser.close()
    await stop()
  }
}
