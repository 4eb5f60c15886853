import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

/**
 * Throw-away database servers for the store suites (test/collector/stores.ts): PostgreSQL and
 * ClickHouse from their Debian packages, each on free ports in its own temp directory, started
 * in parallel and deleted afterwards. Missing packages are installed with apt-get when running
 * as root. A server that cannot be had is provided with the reason: its suites are skipped, and
 * fail under CI=true, naming it (describeStore). QUIETCOUNT_SERVERS narrows what is started
 * (`postgres`, `clickhouse`, comma-separated, or `none`); the others count as missing.
 *
 * Every project that lists this setup (collector, faults) shares one set of servers per run.
 */
export default async function setup(project: TestProject) {
  const global = globalThis as { [SHARED]?: { users: number; ready: ReturnType<typeof startAll> } }
  const shared = (global[SHARED] ??= { users: 0, ready: startAll() })
  shared.users++
  const { provided, stop } = await shared.ready
  project.provide('services', provided)
  return async () => {
    if (--shared.users > 0) return
    delete global[SHARED]
    await stop()
  }
}

const SHARED = Symbol.for('quietcount.test.services')
const KINDS = { postgres: () => startPostgres(), clickhouse: () => startClickHouse() }

/** Which servers to start: QUIETCOUNT_SERVERS, or all. */
function wanted(): Set<string> {
  const list = process.env.QUIETCOUNT_SERVERS
  if (list === undefined) return new Set(Object.keys(KINDS))
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name && name !== 'none')
  const unknown = names.filter((name) => !(name in KINDS))
  if (unknown.length) throw new Error(`[setup] QUIETCOUNT_SERVERS names ${unknown.join(', ')}: it takes ${Object.keys(KINDS).join(', ')} or none`)
  return new Set(names)
}

async function startAll() {
  const started = Date.now()
  const chosen = wanted()
  removeStaleDirs()
  if (chosen.size) provision(chosen)
  const results = await Promise.all(
    Object.entries(KINDS).map(([name, run]) =>
      chosen.has(name) ? start(name, run) : { name, server: undefined, missing: `not started (QUIETCOUNT_SERVERS=${process.env.QUIETCOUNT_SERVERS})`, ms: 0 },
    ),
  )
  const ci = process.env.CI === 'true'
  for (const r of results) {
    if (r.missing) console.warn(`[setup] ${r.name}: ${r.missing}: its store tests will ${ci ? 'FAIL (CI=true)' : 'be SKIPPED'}`)
    else console.log(`[setup] ${r.name}: ${r.server!.version} ready at ${r.server!.url.replace('{db}', '…')} in ${r.ms} ms`)
  }
  console.log(`[setup] database servers ready in ${Date.now() - started} ms`)
  return {
    provided: Object.fromEntries(results.map((r) => [r.name, { url: r.server?.url ?? '', missing: r.missing }])),
    async stop() {
      const t0 = Date.now()
      await Promise.all(results.map((r) => r.server?.stop()))
      console.log(`[setup] database servers stopped and deleted in ${Date.now() - t0} ms`)
    },
  }
}

export interface Server {
  /** URL template with `{db}` for a database name. */
  url: string
  version: string
  stop(): Promise<void>
  /** Stops the server the way an operator would (its data kept), for an outage. */
  down(): Promise<void>
  /** Starts it again after down(), on the same port, and waits until it answers. */
  up(): Promise<void>
}

const TIMEOUT_MS = 30_000

async function start(name: string, run: () => Promise<Server>) {
  const t0 = Date.now()
  try {
    const server = await run()
    return { name, server, missing: '', ms: Date.now() - t0 }
  } catch (error) {
    return { name, server: undefined, missing: (error as Error).message, ms: Date.now() - t0 }
  }
}

// ---------------------------------------------------------------------------------------------
// Packages

const postgresBin = () => {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'postgres')) ? process.env.PG_BIN : undefined
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : []
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]
  return newest && join(root, newest, 'bin')
}
const clickhouseServer = () => {
  const candidates = process.env.CLICKHOUSE_SERVER ? [process.env.CLICKHOUSE_SERVER] : ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']
  return candidates.find((p) => existsSync(p))
}

/** apt-get install of the Debian packages whose servers are wanted and missing, when root on Debian. */
function provision(chosen: Set<string>) {
  // A server chosen with PG_BIN or CLICKHOUSE_SERVER is the caller's business: never installed.
  const packages = [
    chosen.has('postgres') && !process.env.PG_BIN && !postgresBin() && 'postgresql',
    chosen.has('clickhouse') && !process.env.CLICKHOUSE_SERVER && !clickhouseServer() && 'clickhouse-server',
  ].filter((p): p is string => !!p)
  if (!packages.length || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return
  console.log(`[setup] installing Debian packages ${packages.join(', ')} with apt-get ...`)
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    // policy-rc.d would be the polite way to keep the packages' own services from starting;
    // they are harmless here, the tests never use them.
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env })
  } catch (error) {
    console.error(`[setup] apt-get install ${packages.join(' ')} failed: ${(error as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** When root, an unprivileged user to run a server as (PostgreSQL refuses root). */
function runAs(names: string[]): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
  for (const name of names) {
    const user = users.find((u) => u[0] === name)
    if (user) return { uid: Number(user[2]), gid: Number(user[3]) }
  }
  throw new Error(`running as root and none of the users ${names.join(', ')} exists to run the server as`)
}

/** Temp directories of this run, with the pid of the run in `owner.pid`. */
const dirs = new Set<string>()
function tempDir(prefix: string, user: { uid: number; gid: number } | undefined) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  writeFileSync(join(dir, 'owner.pid'), String(process.pid))
  if (user) chownSync(dir, user.uid, user.gid)
  dirs.add(dir)
  return dir
}
function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/** Deletes the directories of earlier runs that were killed before their teardown. */
function removeStaleDirs() {
  for (const name of readdirSync(tmpdir()).filter((n) => /^quietcount-(pg|ch)-/.test(n))) {
    const dir = join(tmpdir(), name)
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'))
      if (owner === process.pid) continue
      try {
        process.kill(owner, 0) // still running: not stale
        continue
      } catch (error) {
        if ((error as { code?: string }).code !== 'ESRCH') continue // EPERM: running, as another user
      }
    } catch {
      if (Date.now() - statSync(dir).mtimeMs < 3_600_000) continue // no owner.pid: only when old
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** Servers still running, killed if the test run exits without its teardown. */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Spawns a server in the foreground, output to `log`; stop() signals it and waits. */
function daemon(command: string, args: string[], { user, log, signal }: { user?: { uid: number; gid: number }; log: string; signal: NodeJS.Signals }): Daemon {
  const out = openSync(log, 'a')
  const child = spawn(command, args, { stdio: ['ignore', out, out], ...user, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TZ: 'UTC' } })
  running.add(child)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child)
      resolve()
    }),
  )
  child.once('error', () => running.delete(child))
  return {
    child,
    exited,
    async stop(how = signal) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(how)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

interface Daemon {
  child: ChildProcess
  exited: Promise<void>
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * A running server as the tests see it; stopping it also deletes its data folder. down() stops
 * it with `downSignal` (a clean shutdown) and up() runs `launch` again and waits for `ready`.
 */
function started(
  first: Daemon,
  dir: string,
  url: string,
  version: string,
  again: { launch: () => Daemon; ready: (server: Daemon) => Promise<void>; downSignal: NodeJS.Signals },
): Server {
  let running = first
  return {
    url,
    version,
    async stop() {
      await running.stop()
      removeDir(dir)
    },
    down: () => running.stop(again.downSignal),
    async up() {
      running = again.launch()
      await again.ready(running)
    },
  }
}

/** Polls `ready` until it returns true, the process exits, or the timeout passes. */
async function waitFor(what: string, ready: () => Promise<boolean>, { child }: { child: ChildProcess }, logs: string[]) {
  const deadline = Date.now() + TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break
    if (await ready().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const tail = logs.flatMap((log) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3) : [])).join(' | ')
  throw new Error(`${what} did not become ready in ${TIMEOUT_MS / 1000} s${child.exitCode !== null ? ` (exited with ${child.exitCode})` : ''}: ${tail}`)
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: initdb + postgres from the Debian package, trust auth, socket and port on 127.0.0.1

export async function startPostgres(): Promise<Server> {
  const bin = postgresBin()
  if (!bin)
    throw new Error(
      `PostgreSQL not found ${process.env.PG_BIN ? `in PG_BIN=${process.env.PG_BIN}` : 'under /usr/lib/postgresql/*/bin'} (install the Debian package "postgresql", or set PG_BIN)`,
    )
  const user = runAs(['postgres', 'nobody'])
  const dir = tempDir('quietcount-pg-', user)
  const log = join(dir, 'server.log')
  let server: Daemon | undefined
  try {
    execFileSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], {
      stdio: 'pipe',
      ...user,
      env: { PATH: process.env.PATH, LANG: 'C' },
    })
    const port = await freePort()
    const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200']
    // SIGQUIT: immediate shutdown, no checkpoint; the data directory is deleted right after.
    const launch = () => daemon(join(bin, 'postgres'), args, { user, log, signal: 'SIGQUIT' })
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    let version = ''
    const ready = (running: Daemon) =>
      waitFor(
        'postgres',
        async () => {
          const client = new pg.Client({ connectionString: url })
          client.on('error', () => {})
          try {
            await client.connect()
            version = (await client.query('SHOW server_version')).rows[0].server_version
            return true
          } finally {
            await client.end().catch(() => {})
          }
        },
        running,
        [log],
      )
    server = launch()
    await ready(server)
    // SIGINT for an outage: PostgreSQL's "fast" shutdown, which ends every session and checkpoints.
    return started(server, dir, `postgres://postgres@127.0.0.1:${port}/{db}`, `PostgreSQL ${version}`, { launch, ready, downSignal: 'SIGINT' })
  } catch (error) {
    await server?.stop()
    removeDir(dir)
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
    throw new Error(`PostgreSQL could not be started: ${stderr || (error as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// ClickHouse: clickhouse-server from the Debian package (18.16) with a minimal config, HTTP only

export async function startClickHouse(): Promise<Server> {
  const binary = clickhouseServer()
  if (!binary) throw new Error('clickhouse-server not found (install the Debian package "clickhouse-server", or set CLICKHOUSE_SERVER)')
  const user = runAs(['clickhouse', 'nobody'])
  const dir = tempDir('quietcount-ch-', user)
  let server: Daemon | undefined
  try {
    const port = await freePort()
    // <yandex> is the root element 18.16 knows; current servers still accept it. Only the HTTP
    // interface listens (no native TCP port, no interserver port).
    writeFileSync(
      join(dir, 'config.xml'),
      `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${port}</http_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <keep_alive_timeout>1</keep_alive_timeout>
</yandex>
`,
    )
    writeFileSync(
      join(dir, 'users.xml'),
      `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`,
    )
    if (user) for (const file of ['config.xml', 'users.xml']) chownSync(join(dir, file), user.uid, user.gid)
    const stdout = join(dir, 'stdout.log')
    const launch = () => daemon(binary, [`--config-file=${join(dir, 'config.xml')}`], { user, log: stdout, signal: 'SIGTERM' })
    const base = `http://127.0.0.1:${port}`
    const ready = (running: Daemon) => waitFor('clickhouse-server', async () => (await fetch(`${base}/ping`)).ok, running, [stdout, join(dir, 'server.err.log')])
    server = launch()
    await ready(server)
    const version = (await (await fetch(base, { method: 'POST', body: 'SELECT version()' })).text()).trim()
    return started(server, dir, `clickhouse://127.0.0.1:${port}/{db}`, `ClickHouse ${version}`, { launch, ready, downSignal: 'SIGTERM' })
  } catch (error) {
    await server?.stop()
    removeDir(dir)
    throw new Error(`ClickHouse could not be started: ${(error as Error).message}`)
  }
}
