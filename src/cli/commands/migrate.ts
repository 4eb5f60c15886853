import { registryFile } from '../../collector/sites/registry.js'
import { CONFIG, type Command, STORE, withStore } from '../command.js'

export const migrate: Command = {
  usage: `quietcount migrate [--store URL] [--config FILE]

Creates or upgrades the store's schema (versioned, safe to run again). An upgrade that builds
the marginal tier from older counts puts them in each site's local days, so it reads the sites'
time zones from --config (a site it does not list counts in UTC).`,
  options: { store: STORE, config: CONFIG },
  async run(v) {
    await withStore(String(v.store), registryFile(String(v.config)), async () => {})
    console.log(`migrated ${v.store}`)
  },
}
