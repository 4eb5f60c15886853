import { expireDetail, expireMarginals } from '../../collector/retention.js'
import { registryFile } from '../../collector/sites/registry.js'
import { DEFAULT_DETAIL_DAYS } from '../../collector/sites/sites.js'
import { monthOfNumber } from '../../collector/sites/time-zone.js'
import { CONFIG, type Command, STORE, withStore } from '../command.js'

export const prune: Command = {
  usage: `quietcount prune [--store URL] [--config FILE]

Deletes the detail rows (whole tuples of a page view's attributes) older than each site's detail
window; a site no longer in --config keeps the default ${DEFAULT_DETAIL_DAYS} days. The marginal tier stays,
except for a site with --marginal-months N: its marginals before the first of its N months go.
A running collector does this by itself every hour; prune is for stores no collector serves.`,
  options: { store: STORE, config: CONFIG },
  async run(v) {
    const registry = registryFile(String(v.config))
    await withStore(String(v.store), registry, async (store) => {
      const { sites } = registry.read()
      const timezoneOf = (site: string) => sites.find((s) => s.id === site)?.timezone ?? 'UTC'
      for (const { site, before, deleted } of await expireDetail(store, sites)) {
        console.log(
          `${site}: detail before ${new Date(before * 3_600_000).toISOString().slice(0, 13)}:00 UTC (${timezoneOf(site)} days) deleted: ${deleted.toLocaleString('en')} rows`,
        )
      }
      for (const { site, before, deleted } of await expireMarginals(store, sites)) {
        console.log(`${site}: marginals before ${monthOfNumber(before.month)}-01 (${timezoneOf(site)} months) deleted: ${deleted.toLocaleString('en')} rows`)
      }
    })
  },
}
