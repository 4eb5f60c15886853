import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { groupCommit } from '../../src/collector/group-commit.js'
import { beaconRows } from '../../src/collector/ingest.js'
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
  return beaconRows(beacon, client, 490_000, { timezone: 'UTC', detailDays: 62 })
}
const views = async () => Number((await sqlite.query([{ site: 'commit.test', parts: [{ table: 'totals', from: 0, to: 10 ** 7 }] }]))[0]![0]?.views ?? 0)

describe('group commit', () => {
  it('writes one commit at a time, and flush() waits for the commit in flight', async () => {
    let running = 0
    let most = 0
    const slow: Store = {
      ...sqlite,
      async write(batch) {
        most = Math.max(most, ++running)
        await new Promise((resolve) => setTimeout(resolve, 30))
        await sqlite.write(batch)
        running--
      },
    }
    const commits = groupCommit(slow, { maxWaitMs: 1, maxRows: 2 })
    const before = await views()
    // maxRows 2 starts a commit every second beacon while the previous one is still writing.
    const acknowledged = Array.from({ length: 9 }, (_, i) => commits.add(rows(`/page-${i}`)))
    await commits.flush()
    expect(await views()).toBe(before + 9)
    expect(most).toBe(1)
    await Promise.all(acknowledged)
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
    const commits = groupCommit(flaky, { maxWaitMs: 1 })
    const before = await views()
    await expect(commits.add(rows('/lost'))).rejects.toThrow('database is locked')
    fail = false
    await commits.add(rows('/kept'))
    expect(await views()).toBe(before + 1)
  })
})
