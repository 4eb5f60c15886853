import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashToken } from '../src/collector/sites/sites.js'
import { median, round } from './machine.js'
import { DETAIL_DAYS } from './query.js'
import { startServe } from './serve.js'
import { SITE } from './traffic.js'

/**
 * Do reads hold up writes? The built `quietcount serve` on a seeded store; one beacon at a time
 * is posted and its acknowledgement timed, first with nothing else running, then while dashboard
 * views (both of a view's requests, over HTTP) run one after another without pause. An
 * acknowledgement waits for its group commit (up to 50 ms for others to join it) either way.
 */

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

export interface Responsiveness {
  view: string
  idle: { p50: number; max: number }
  busy: { p50: number; max: number }
  /** Views completed while the beacons of the busy run were sent, and their median duration. */
  views: number
  viewMs: number
}

export async function measureResponsiveness(storeUrl: string, dir: string, view: string[], beacons: number): Promise<Responsiveness> {
  const config = join(dir, 'responsiveness.json')
  writeFileSync(
    config,
    JSON.stringify({
      sites: [{ id: SITE.id, origins: [], timezone: SITE.timezone, shares: [], detailDays: DETAIL_DAYS }],
      tokens: [{ hash: hashToken('bench-token'), site: '*', created: new Date().toISOString() }],
    }),
  )
  const { url, stop } = await startServe(['--rate-limit', '0', '--store', storeUrl, '--config', config], { cwd: dir })
  try {
    const body = JSON.stringify({
      v: 1,
      site: SITE.id,
      tz: 'Europe/Madrid',
      lang: 'es',
      screen: 'desktop',
      pages: [{ path: '/responsiveness', flags: 7, views: 1, seconds: 3, scroll: 50 }],
    })
    const ack = async () => {
      const started = performance.now()
      const response = await fetch(`${url}/api/collect`, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'user-agent': UA } })
      if (response.status !== 204) throw new Error(`beacon answered ${response.status}`)
      return performance.now() - started
    }
    const series = async () => {
      const times: number[] = []
      for (let i = 0; i < beacons; i++) {
        times.push(await ack())
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return { p50: round(median(times), 1), max: round(Math.max(...times), 1) }
    }
    await ack() // warm-up
    const idle = await series()
    let running = true
    const viewTimes: number[] = []
    const views = (async () => {
      while (running) {
        const started = performance.now()
        await Promise.all(
          view.map(async (params) => {
            const response = await fetch(`${url}/api/stats?site=${SITE.id}&${params}`, { headers: { authorization: 'Bearer bench-token' } })
            if (!response.ok) throw new Error(`stats answered ${response.status}: ${await response.text()}`)
            await response.arrayBuffer()
          }),
        )
        viewTimes.push(performance.now() - started)
      }
    })()
    await new Promise((resolve) => setTimeout(resolve, 200)) // a view is under way
    const busy = await series()
    running = false
    await views
    return { view: view[0]!.replace(/&include=.*$/, ''), idle, busy, views: viewTimes.length, viewMs: round(median(viewTimes), 1) }
  } finally {
    await stop()
  }
}
