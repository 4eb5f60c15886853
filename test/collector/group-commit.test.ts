import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { groupCommit } from '../../src/collector/ingest/group-commit.js'
import { beaconCounted } from '../../src/collector/ingest/ingest.js'
import { openSpool } from '../../src/collector/ingest/spool.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import type { Store } from '../../src/collector/stores/store.js'
import type { Beacon } from '../../src/shared/protocol.js'

// Group commit over a real SQLite store whose writes are slowed down, so that commits overlap in
// time the way they do under load on a remote database.

const dir = mkdtempSync(join(tmpdir(), 'quietcount-commit-'))
let sqlite: Store
beforeAll(async () => {
  sqlite = sqliteStore(join(dir, 'counts.db'))
  await sqlite.migrate()
})
afterAll(async () => {
  await sqlite.close()
  rmSync(dir, { recursive: true, force: true })
})

const client = { browser: 'Firefox', browser_version: '133', os: 'Linux', device: 'desktop' }
const rows = (path: string) => {
  const beacon: Beacon = { v: 1, site: 'commit.test', tz: 'UTC', lang: 'en', screen: 'desktop', pages: [{ path, flags: 1, views: 1, seconds: 2, scroll: 10 }] }
  return beaconCounted(beacon, client, 490_000, { timezone: 'UTC', detailDays: 62 })
}
// The slow store's delay, which fake timers must not stop.
const realSetTimeout = globalThis.setTimeout
const views = async () => Number((await sqlite.query([{ site: 'commit.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]![0]?.views ?? 0)

describe('group commit', () => {
  it('commits at once when idle, batches what arrives during a commit, and writes one commit at a time', async () => {
    let running = 0
    let most = 0
    const batches: number[] = []
    const slow: Store = {
      ...sqlite,
      async write(batch) {
        most = Math.max(most, ++running)
        batches.push(batch.length)
        await new Promise((resolve) => realSetTimeout(resolve, 30))
        await sqlite.write(batch)
        running--
      },
    }
    const commits = groupCommit(slow)
    const before = await views()
    // Idle: the first beacon is written without waiting for company. No timer may run before the
    // commit starts: with setTimeout faked (and never advanced), it starts within a few turns.
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const alone = commits.add(rows('/alone'))
    for (let turn = 0; turn < 5 && !batches.length; turn++) await new Promise((resolve) => setImmediate(resolve))
    expect(batches).toHaveLength(1)
    vi.useRealTimers()
    await alone
    // Nine beacons while a commit is in flight: they go together into the next one.
    const first = commits.add(rows('/first'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const acknowledged = Array.from({ length: 9 }, (_, i) => commits.add(rows(`/page-${i}`)))
    await commits.flush()
    await Promise.all([first, ...acknowledged])
    expect(await views()).toBe(before + 11)
    expect(batches).toHaveLength(3)
    // Merged: the nine share their totals and most marginal rows.
    expect(batches[2]).toBeLessThan(9 * batches[1]!)
    expect(most).toBe(1)
  })

  it('refuses beacons past its bounds, takes nothing from them, and takes them again once the store caught up', async () => {
    let open = false
    let release: () => void = () => {}
    const stuck: Store = {
      ...sqlite,
      async write(batch) {
        if (!open) await new Promise<void>((resolve) => (release = resolve))
        await sqlite.write(batch)
      },
    }
    const commits = groupCommit(stuck, { maxWaiting: 3 })
    const before = await views()
    const waiting = [commits.add(rows('/a')), commits.add(rows('/b')), commits.add(rows('/c'))] as Promise<void>[]
    expect(commits.add(rows('/d'))).toBe('full')
    await new Promise((resolve) => setImmediate(resolve))
    // All three went into the commit in flight: the places are free again, for the next commit
    // (below), but the three are not committed, and the backlog (what a forced exit would leave
    // unacknowledged) still counts them: it said 0 when a hanging commit held every beacon.
    expect(commits.backlog()).toMatchObject({ beacons: 3, spooled: 0 })
    expect(commits.backlog().rows).toBeGreaterThan(0)
    for (const path of ['/e', '/f', '/g']) waiting.push(commits.add(rows(path)) as Promise<void>)
    expect(commits.add(rows('/h'))).toBe('full')
    const three = rows('/x')
    three.records = [...rows('/1').records, ...rows('/2').records, ...rows('/3').records]
    expect(groupCommit(stuck, { maxPendingRows: 2 }).add(three)).toBe('full')
    open = true
    release()
    await Promise.all(waiting)
    expect(await views()).toBe(before + 6)
  })

  it('rejects the beacons of a failed commit and goes on with the next', async () => {
    let fail = true
    const flaky: Store = {
      ...sqlite,
      async write(batch) {
        if (fail) throw new Error('database is locked')
        await sqlite.write(batch)
      },
    }
    const commits = groupCommit(flaky)
    const before = await views()
    await expect(commits.add(rows('/lost'))).rejects.toThrow('database is locked')
    fail = false
    await commits.add(rows('/kept'))
    expect(await views()).toBe(before + 1)
  })

  it('with a spool: refuses the commit that failed, spools and acknowledges the next ones, and replays them once when the store is back', async () => {
    let down = true
    let loseAnswer = true
    let writes = 0
    const away: Store = {
      ...sqlite,
      async write(batch) {
        writes++
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
        await sqlite.write(batch)
      },
      async replay(spool, batches) {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
        await sqlite.replay(spool, batches)
        // The first replay is taken, but its answer never comes: the next one must not count it again.
        if (loseAnswer) {
          loseAnswer = false
          throw new Error('Connection terminated unexpectedly')
        }
      },
    }
    const logged: string[] = []
    const spool = await openSpool(join(dir, 'away.spool'))
    const commits = groupCommit(away, { spool, log: (line) => logged.push(line) })
    const before = await views()
    await expect(commits.add(rows('/failed'))).rejects.toThrow('ECONNREFUSED')
    expect(logged[0]).toMatch(/the store is away \(connect ECONNREFUSED.*\); commits go to the spool .*away\.spool until it is back/)
    // Acknowledged from the spool, without trying the store.
    for (const path of ['/a', '/b', '/c']) await commits.add(rows(path))
    expect(writes).toBe(1)
    expect(commits.backlog().spooled).toBe(3)
    down = false
    // The replay a second after the failure loses its answer; the next, two seconds later, finds it taken.
    const deadline = Date.now() + 10_000
    const back = () => logged.some((line) => line.includes('the store is back'))
    while ((commits.backlog().spooled || !back()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(commits.backlog().spooled).toBe(0)
    expect(back(), logged.join(' | ')).toBe(true)
    expect(await views()).toBe(before + 3)
    // Back: commits go to the store again.
    await commits.add(rows('/d'))
    expect(writes).toBe(2)
    expect(await views()).toBe(before + 4)
    await commits.close()
    await spool.close()
  })
})
