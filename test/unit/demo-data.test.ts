import { describe, expect, it } from 'vitest'
import { seedDemo } from '../../src/cli/demo-data.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'

describe('demo data', () => {
  it('gives the same counts for the same seed, and other counts for another', async () => {
    const totals = async (seed: number) => {
      const store = sqliteStore(':memory:')
      await store.migrate()
      const written = await seedDemo(store, { seed, days: 4, now: Date.UTC(2026, 10, 24, 12) })
      const [pages] = (await store.query([{ site: 'demo-civic.test', parts: [{ table: 'totals', from: 0, to: 2 ** 31 }] }]))[0]!
      await store.close()
      return { written, views: Number(pages!.views), visits: Number(pages!.visits) }
    }
    const first = await totals(3)
    expect(first.views).toBeGreaterThan(100)
    expect(await totals(3)).toEqual(first)
    expect(await totals(4)).not.toEqual(first)
  })
})
