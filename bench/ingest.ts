import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { round } from './machine.js'
import { startServe } from './serve.js'

/**
 * Collector ingest: the built `quietcount serve` (rate limit off) on each store, loaded by
 * autocannon in a separate process with realistic beacons, next to a bare Node http server that
 * answers 204 and does nothing else: the ceiling of the stack on this machine. After each run
 * the server is stopped (which flushes) and `quietcount report` must hold every acknowledged
 * beacon and no more than were sent: acknowledged ≤ stored ≤ sent. Between the two are the
 * beacons in flight when the load stopped: the collector commits those it has read (autocannon
 * no longer counts their answers) and never sees those whose connection autocannon closed first.
 */

export interface IngestRow {
  target: string
  rps: number
  p50: number
  p97_5: number
  p99: number
  acknowledged: number
  refused: number
  /** Beacons sent, answered or not when the run ended: each must be counted once. */
  sent: number
  stored?: number
  /** Every acknowledged beacon stored, none counted twice: acknowledged ≤ stored ≤ sent. */
  kept?: boolean
}

const cli = join(process.cwd(), 'dist/node/cli/main.js')

/** Runs the load generator in its own process, asynchronously: the ceiling server lives in this one. */
async function load(url: string, seconds: number, connections: number) {
  const { stdout } = await promisify(execFile)(process.execPath, [join(process.cwd(), 'bench/load.mjs'), url, String(seconds), String(connections)], { encoding: 'utf8' })
  return JSON.parse(stdout) as { rps: number; sent: number; ok: number; notOk: number; p50: number; p97_5: number; p99: number; viewsPerBeacon: number }
}

async function ceiling(seconds: number, connections: number): Promise<IngestRow> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(204).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const r = await load(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seconds, connections)
    return { target: 'bare Node http, 204 (ceiling)', rps: round(r.rps, 0), p50: r.p50, p97_5: r.p97_5, p99: r.p99, acknowledged: r.ok, refused: r.notOk, sent: r.sent }
  } finally {
    server.close()
  }
}

async function collector(name: string, store: string, seconds: number, connections: number): Promise<IngestRow> {
  const dir = mkdtempSync(join(tmpdir(), 'quietcount-bench-'))
  const config = join(dir, 'quietcount.json')
  writeFileSync(config, JSON.stringify({ sites: [{ id: 'bench.test', origins: [], timezone: 'UTC', shares: [] }], tokens: [] }))
  const args = ['--store', store.replace('{dir}', dir).replace('{db}', `qc_ingest_${Date.now()}`), '--config', config]
  const { url, server, stop } = await startServe(['--rate-limit', '0', ...args], { cwd: dir })
  try {
    const r = await load(url, seconds, connections)
    await stop()
    const report = JSON.parse(execFileSync(process.execPath, [cli, 'report', '--site', 'bench.test', '--period', '7d', '--format', 'json', ...args], { encoding: 'utf8' })) as {
      metrics: { pageviews: number }
    }
    const stored = report.metrics.pageviews
    return {
      target: `QuietCount collector, ${name}`,
      rps: round(r.rps, 0),
      p50: r.p50,
      p97_5: r.p97_5,
      p99: r.p99,
      acknowledged: r.ok,
      refused: r.notOk,
      sent: r.sent,
      stored,
      kept: r.notOk === 0 && r.ok * r.viewsPerBeacon <= stored && stored <= r.sent * r.viewsPerBeacon,
    }
  } finally {
    server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function measureIngest(stores: Record<string, string>, seconds: number, connections: number): Promise<IngestRow[]> {
  const rows = [await ceiling(seconds, connections)]
  for (const [name, url] of Object.entries(stores)) rows.push(await collector(name, url, seconds, connections))
  return rows
}
