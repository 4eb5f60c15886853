import { registryFile, withToken } from '../../collector/sites/registry.js'
import { CONFIG, type Command, STORE, UsageError, wholeNumber, withStore } from '../command.js'
import { DEMO_SITES, hasDemoData, seedDemoSites } from '../demo-data.js'

export const demo: Command = {
  usage: `quietcount demo [--seed 1] [--days 365] [--store URL] [--config FILE]

Fills a store (best a throw-away one: --store sqlite:./demo.db) with a year of aggregated
traffic for the demo sites ${DEMO_SITES.map((s) => s.id).join(', ')}, registers them, and prints an
admin token for the dashboard. The same seed gives the same counts.`,
  options: { seed: { type: 'string', default: '1' }, days: { type: 'string', default: '365' }, store: STORE, config: CONFIG },
  async run(v) {
    const seed = wholeNumber('seed', v.seed, 1, 2 ** 31)
    const days = wholeNumber('days', v.days, 1, 3 * 366)
    const registry = registryFile(String(v.config))
    await withStore(String(v.store), registry, async (store) => {
      if (await hasDemoData(store)) throw new UsageError(`${v.store} holds demo counts already; seeding again would add to them (use a fresh --store)`)
      const pageviews = await seedDemoSites(store, registry, { seed, days })
      const { registry: next, token } = withToken(registry.read(), '*', { note: 'demo' })
      registry.write(next)
      console.log(`seeded ${pageviews.toLocaleString('en')} page views over ${days} days into ${v.store}`)
      console.log(`admin token for the dashboard (shown once): ${token}`)
    })
  },
}
