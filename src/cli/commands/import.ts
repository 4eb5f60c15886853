import { openExport } from '../../collector/imports/export-files.js'
import { plausibleTable } from '../../collector/imports/plausible.js'
import { importKey, type Progress, runImport } from '../../collector/imports/run-import.js'
import { registryFile, withImport, withoutImport } from '../../collector/registry.js'
import { CONFIG, type Command, STORE, siteNamed, UsageError, withStore } from '../command.js'

const PLANS = { plausible: { source: 'plausible', tableOf: plausibleTable } } as const

export const importCommand: Command = {
  usage: `quietcount import plausible --site ID PATH
quietcount import list [--site ID]
quietcount import remove --site ID IMPORT
  (all take --store URL and --config FILE)

Imports the history of another tool into a site's marginal tier, day by day. PATH is Plausible's
export zip (Site settings > Imports & Exports) or a folder of its CSV files. Every line is checked
first: if one is refused, the file, line and rule are listed and nothing is written. An import is
named by its source and the days it covers (plausible-20240101-20241231); importing the same
export again replaces it. docs/import.md says what each column becomes.`,
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
    const plan = PLANS[action as keyof typeof PLANS]
    if (!plan) throw new UsageError(`import takes plausible, list or remove (got ${JSON.stringify(action ?? '')})`)
    if (!path || extra.length) throw new UsageError(`import ${action} takes one PATH (got ${path ? [path, ...extra].join(' ') : 'none'})`)
    const source = await openExport(path)
    try {
      const report = await withStore(String(v.store), registry, (store) => runImport(store, site, source.files, plan, progressPrinter()))
      for (const note of report.notes) console.log(note)
      registry.write(withImport(registry.read(), siteNamed(registry, site.id), report.import))
      const { id, from, to, lines } = report.import
      console.log(`imported ${id} into ${site.id}: ${from} – ${to}, ${lines.toLocaleString('en')} lines, ${report.rows.toLocaleString('en')} rows written`)
    } finally {
      source.close()
    }
  },
}

/** A bar redrawn in place on a terminal; elsewhere (a log, CI) a plain line per tenth of the way. */
function progressPrinter(): (p: Progress) => void {
  const tty = process.stderr.isTTY
  let shown = -1
  return ({ file, done, total, pass }) => {
    const share = total ? done / total : 1
    if (tty) {
      const width = 30
      const filled = Math.round(share * width)
      process.stderr.write(
        `\r${pass === 'check' ? 'checking' : 'writing '} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(share * 100)}% ${file.slice(-40).padEnd(40)}`,
      )
      if (done >= total) process.stderr.write('\n')
      return
    }
    const tenth = Math.floor(share * 10)
    const step = pass === 'check' ? tenth : 11 + tenth
    if (step > shown) {
      shown = step
      process.stderr.write(`${pass === 'check' ? 'checking' : 'writing'}: ${tenth * 10}% (${file})\n`)
    }
  }
}
