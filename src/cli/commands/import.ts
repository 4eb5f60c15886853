import { goatcounterTable } from '../../collector/formats/goatcounter/import.js'
import { PLAUSIBLE_PLAN } from '../../collector/formats/plausible/import.js'
import { openExport } from '../../collector/imports/export-files.js'
import { type Plan, type Progress, runImport } from '../../collector/imports/run-import.js'
import { registryFile, withImport, withoutImport } from '../../collector/sites/registry.js'
import { importKey } from '../../collector/sites/sites.js'
import { CONFIG, type Command, STORE, siteNamed, UsageError, withStore } from '../command.js'
import { progressBar } from '../progress.js'

const PLANS: Record<string, Plan> = {
  plausible: PLAUSIBLE_PLAN,
  goatcounter: { source: 'goatcounter', tableOf: goatcounterTable, record: 'files' },
}

export const importCommand: Command = {
  usage: `quietcount import plausible --site ID PATH
quietcount import goatcounter --site ID FILE
quietcount import list [--site ID]
quietcount import remove --site ID IMPORT
  (all take --store URL and --config FILE)

Imports the history of another tool into a site's marginal tier, day by day. PATH is Plausible's
export zip (Site settings > Imports & Exports) or a folder of its CSV files. FILE is GoatCounter's
CSV export, format version 2 (Settings > Export), gzipped as it is sent or not, or a folder of
them; its page views are counted in the site's time zone, bots left out, and its user agents and
sessions are read to derive browsers and visits and never kept. Every line is checked first: if
one is refused, the file, line and rule are listed and nothing is written. An import is named by
its source and the days it covers (plausible-20240101-20241231, goatcounter-…); importing the
same export again replaces it. docs/import.md says what each column becomes.`,
  options: { store: STORE, config: CONFIG, site: { type: 'string' } },
  async run(v, [action, path, ...extra]) {
    const registry = registryFile(String(v.config))
    if (action === 'list') {
      const sites = v.site === undefined ? registry.read().sites : [siteNamed(registry, v.site)]
      for (const site of sites)
        for (const i of site.imports ?? []) console.log(`${site.id}\t${i.id}\t${i.from} – ${i.to}\t${i.lines.toLocaleString('en')} lines\t${i.tables.join(',')}\t${i.at}`)
      return
    }
    if (v.site === undefined) throw new UsageError(`import ${action ?? ''} needs --site ID`)
    const site = siteNamed(registry, v.site)
    if (action === 'remove') {
      if (!site.imports?.some((i) => i.id === path)) throw new UsageError(`no import ${JSON.stringify(path ?? '')} for ${site.id} (see quietcount import list)`)
      await withStore(String(v.store), registry, (store) => store.expireMarginals(importKey(site.id, path!), { hour: Infinity, day: Infinity, month: Infinity }))
      registry.write(withoutImport(registry.read(), site, path!))
      console.log(`removed ${path} from ${site.id}`)
      return
    }
    const plan = Object.hasOwn(PLANS, action ?? '') ? PLANS[action!] : undefined
    if (!plan) throw new UsageError(`import takes plausible, goatcounter, list or remove (got ${JSON.stringify(action ?? '')})`)
    if (!path || extra.length) throw new UsageError(`import ${action} takes one PATH (got ${path ? [path, ...extra].join(' ') : 'none'})`)
    const source = await openExport(path)
    try {
      const report = await withStore(String(v.store), registry, (store) => runImport(store, site, source.files, plan, importProgress()))
      for (const note of report.notes) console.log(note)
      registry.write(withImport(registry.read(), siteNamed(registry, site.id), report.import))
      const { id, from, to, lines } = report.import
      console.log(`imported ${id} into ${site.id}: ${from} – ${to}, ${lines.toLocaleString('en')} lines, ${report.rows.toLocaleString('en')} rows written`)
    } finally {
      source.close()
    }
  },
}

/** One bar for the check and one for the write, as the import goes through the files twice. */
function importProgress(): (p: Progress) => void {
  const bars = { check: progressBar(process.stderr, 'checking'), write: progressBar(process.stderr, 'writing') }
  return ({ done, total, pass }) => bars[pass](total ? done / total : 1)
}
