import { marginalStart } from '../../collector/retention.js'
import { registryFile, withoutSite, withSite } from '../../collector/sites/registry.js'
import { DEFAULT_DETAIL_DAYS, detailDaysOf, MAX_DETAIL_DAYS, MAX_MARGINAL_MONTHS, type Site, siteProblem } from '../../collector/sites/sites.js'
import { dateOfDay } from '../../collector/sites/time-zone.js'
import { CONFIG, type Command, localTimeZone, UsageError, type Values, wholeNumber } from '../command.js'

export const sites: Command = {
  usage: `quietcount sites add ID [--origin https://example.org]... [--timezone Europe/Madrid] [--param page]... [--detail-days ${DEFAULT_DETAIL_DAYS}] [--marginal-months forever]
quietcount sites set ID [--origin URL]... [--timezone ZONE] [--param NAME]... [--detail-days N] [--marginal-months N|forever]
quietcount sites list
quietcount sites remove ID
  (all take --config FILE, default ./quietcount.json)

A site's origins are the only pages allowed to send its beacons (none given: any origin).
Its time zone decides where its days and months begin (default: this machine's).
--param keeps a query parameter in recorded paths, as the tracker's data-params does; any
other parameter a beacon carries is dropped (utm_* and ref are campaign fields anyway).
--detail-days is how long whole tuples of a page view's attributes are kept, today included,
for filtering by several dimensions at once: 0 (only per-dimension counts, the most private)
to ${MAX_DETAIL_DAYS} (25 months); default ${DEFAULT_DETAIL_DAYS}.
--marginal-months is how many site-local months of per-dimension counts and hourly totals are
kept, the current month included: 1 to ${MAX_MARGINAL_MONTHS}, or forever (the default). Older ones are
deleted by the collector every hour and by quietcount prune.
set changes only the options it is given; --origin and --param replace the lists.`,
  options: {
    config: CONFIG,
    origin: { type: 'string', multiple: true },
    timezone: { type: 'string' },
    param: { type: 'string', multiple: true },
    'detail-days': { type: 'string' },
    'marginal-months': { type: 'string' },
  },
  async run(v, [action, id]) {
    const registry = registryFile(String(v.config))
    const current = registry.read()
    if (action === 'list') {
      for (const s of current.sites) {
        console.log(`${s.id}\t${s.timezone}\t${s.origins.join(' ') || '(any origin)'}\t${s.shares.length} share link(s)\t${windows(s)}`)
      }
      if (!current.sites.length) console.log('no sites yet: quietcount sites add example.org --origin https://example.org')
      return
    }
    if (action !== 'add' && action !== 'set' && action !== 'remove') throw new UsageError(`sites takes add, set, list or remove (got ${JSON.stringify(action)})`)
    if (!id) throw new UsageError(`sites ${action} needs a site id`)
    const existing = current.sites.find((s) => s.id === id)
    if (action === 'add' && existing) throw new UsageError(`site ${JSON.stringify(id)} exists already (change it with: quietcount sites set ${id} …)`)
    if (action !== 'add' && !existing) throw new UsageError(`no site ${JSON.stringify(id)} (see quietcount sites list)`)
    if (action === 'remove') {
      registry.write(withoutSite(current, id))
      // Only registered sites have a marginal window: once removed, its limit no longer deletes anything.
      const marginals = existing!.marginalMonths === undefined ? '' : `, its marginals are kept: the limit of ${months(existing!.marginalMonths)} no longer applies`
      console.log(`removed ${id} and its tokens; its stored counts stay in the store (its detail expires after ${DEFAULT_DETAIL_DAYS} days${marginals})`)
      return
    }
    const given = siteOptions(v)
    if (action === 'set' && !Object.keys(given).length) throw new UsageError('sites set needs at least one of --origin, --timezone, --param, --detail-days, --marginal-months')
    const site: Site = { ...(existing ?? { id, origins: [], timezone: localTimeZone(), params: [], shares: [] }), ...given }
    const problem = siteProblem(site)
    if (problem) throw new UsageError(problem)
    registry.write(withSite(current, site))
    if (!existing) {
      console.log(`added ${id} (${site.timezone}, ${windows(site)}); next: quietcount tokens create --site ${id}`)
      return
    }
    console.log(`changed ${id}: ${Object.keys(given).join(', ')}`)
    if (given.timezone && given.timezone !== existing.timezone) {
      console.log(
        `note: days and months are counted in ${given.timezone} from now on. Totals and detail are kept per UTC hour and follow the new zone at any range; ` +
          `per-dimension counts of past days stay in the days of ${existing.timezone} (see docs/architecture.md, "Two tiers").`,
      )
    }
    if (given.detailDays !== undefined && given.detailDays > detailDaysOf(existing)) {
      console.log('note: a longer window keeps detail from now on; detail already deleted does not come back.')
    }
    if ('marginalMonths' in given) {
      // Infinity stands for "kept for ever", so that one comparison orders every pair of settings.
      const [before, after] = [existing.marginalMonths ?? Number.POSITIVE_INFINITY, given.marginalMonths ?? Number.POSITIVE_INFINITY]
      if (after > before) console.log('note: a longer marginal window keeps marginals from now on; marginals already deleted do not come back.')
      const start = marginalStart(site, Date.now())
      if (after < before && start) {
        console.log(
          `note: marginals before ${dateOfDay(start.day)} (${site.timezone} days) are deleted at the collector's next hourly expiry or by quietcount prune, and do not come back.`,
        )
      }
    }
  },
}

const months = (n: number) => `${n} month${n === 1 ? '' : 's'}`

/** The site's two windows, as list and add print them. */
const windows = (site: Site) => `detail ${detailDaysOf(site)} days, ${site.marginalMonths === undefined ? 'marginals kept' : `marginals ${months(site.marginalMonths)}`}`

/** The site settings the flags give; siteProblem checks them once merged. */
function siteOptions(v: Values): Partial<Site> {
  return {
    ...(v.origin !== undefined && { origins: v.origin as string[] }),
    ...(v.timezone !== undefined && { timezone: v.timezone as string }),
    ...(v.param !== undefined && { params: v.param as string[] }),
    ...(v['detail-days'] !== undefined && { detailDays: wholeNumber('detail-days', v['detail-days'], 0, MAX_DETAIL_DAYS, { unit: 'days' }) }),
    // `forever` sets the key to undefined, which the registry's JSON leaves out: no limit.
    ...(v['marginal-months'] !== undefined && {
      marginalMonths:
        v['marginal-months'] === 'forever' ? undefined : wholeNumber('marginal-months', v['marginal-months'], 1, MAX_MARGINAL_MONTHS, { unit: 'months', or: 'forever' }),
    }),
  }
}
