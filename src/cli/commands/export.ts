import { countedDays, exportPlausible } from '../../collector/formats/plausible/export.js'
import { registryFile } from '../../collector/sites/registry.js'
import { CONFIG, type Command, STORE, siteNamed, UsageError, withStore } from '../command.js'

const DATE = /^\d{4}-\d{2}-\d{2}$/

export const exportCommand: Command = {
  usage: `quietcount export plausible --site ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] OUT.zip [--store URL] [--config FILE]

Writes a site's counts (its imports included) as Plausible's CSV export, which Plausible imports
under Site settings > Imports & Exports. The range defaults to every day the site has counts for.
docs/import.md says what each column holds and what Plausible's format has no room for.`,
  options: { store: STORE, config: CONFIG, site: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  async run(v, [format, out, ...extra]) {
    if (format !== 'plausible') throw new UsageError(`export takes plausible (got ${JSON.stringify(format ?? '')})`)
    if (!out?.endsWith('.zip') || extra.length) throw new UsageError(`export plausible takes one OUT.zip (got ${JSON.stringify([out, ...extra].filter(Boolean).join(' '))})`)
    if (v.site === undefined) throw new UsageError('export plausible needs --site ID')
    for (const flag of ['from', 'to'] as const) {
      const value = v[flag]
      if (value !== undefined && !(DATE.test(String(value)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(String(value))))
        throw new UsageError(`--${flag} must be a day YYYY-MM-DD (got ${JSON.stringify(value)})`)
    }
    const registry = registryFile(String(v.config))
    const site = siteNamed(registry, v.site)
    await withStore(String(v.store), registry, async (store) => {
      const counted = await countedDays(store, site)
      const from = (v.from as string | undefined) ?? counted?.from
      const to = (v.to as string | undefined) ?? counted?.to
      if (!from || !to) throw new UsageError(`${site.id} has no counts to export; give --from and --to for an empty export`)
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`)
      const lines = await exportPlausible(store, site, { from, to }, out)
      const total = Object.values(lines).reduce((a, b) => a + b, 0)
      console.log(
        `wrote ${out}: ${site.id} ${from} – ${to}, ${total.toLocaleString('en')} lines (${Object.entries(lines)
          .map(([t, l]) => `${t} ${l}`)
          .join(', ')})`,
      )
    })
  },
}
