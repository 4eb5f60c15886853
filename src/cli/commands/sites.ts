import { registryFile, withoutSite, withSite } from '../../collector/registry.js'
import { DEFAULT_DETAIL_DAYS, detailDaysOf, MAX_DETAIL_DAYS, type Site, siteProblem } from '../../collector/sites.js'
import { CONFIG, type Command, localTimeZone, UsageError, type Values, wholeNumber } from '../command.js'

export const sites: Command = {
  usage: `quietcount sites add ID [--origin https://example.org]... [--timezone Europe/Madrid] [--param page]... [--detail-days ${DEFAULT_DETAIL_DAYS}]
quietcount sites set ID [--origin URL]... [--timezone ZONE] [--param NAME]... [--detail-days N]
quietcount sites list
quietcount sites remove ID
  (all take --config FILE, default ./quietcount.json)

A site's origins are the only pages allowed to send its beacons (none given: any origin).
Its time zone decides where its days and months begin (default: this machine's).
--param keeps a query parameter in recorded paths, as the tracker's data-params does; any
other parameter a beacon carries is dropped (utm_* and ref are campaign fields anyway).
--detail-days is how long whole tuples of a page view's attributes are kept, today included,
for filtering by several dimensions at once: 0 (only per-dimension counts, the most private)
to ${MAX_DETAIL_DAYS} (25 months); default ${DEFAULT_DETAIL_DAYS}. Per-dimension counts are kept for ever.
set changes only the options it is given; --origin and --param replace the lists.`,
  options: {
    config: CONFIG,
    origin: { type: 'string', multiple: true },
    timezone: { type: 'string' },
    param: { type: 'string', multiple: true },
    'detail-days': { type: 'string' },
  },
  async run(v, [action, id]) {
    const registry = registryFile(String(v.config))
    const current = registry.read()
    if (action === 'list') {
      for (const s of current.sites) {
        console.log(`${s.id}\t${s.timezone}\t${s.origins.join(' ') || '(any origin)'}\t${s.shares.length} share link(s)\tdetail ${detailDaysOf(s)} days`)
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
      console.log(`removed ${id} and its tokens; its stored counts stay in the store (its detail expires after ${DEFAULT_DETAIL_DAYS} days)`)
      return
    }
    const given = siteOptions(v)
    if (action === 'set' && !Object.keys(given).length) throw new UsageError('sites set needs at least one of --origin, --timezone, --param, --detail-days')
    const site: Site = { ...(existing ?? { id, origins: [], timezone: localTimeZone(), params: [], shares: [] }), ...given }
    const problem = siteProblem(site)
    if (problem) throw new UsageError(problem)
    registry.write(withSite(current, site))
    if (!existing) {
      console.log(`added ${id} (${site.timezone}, detail ${detailDaysOf(site)} days); next: quietcount tokens create --site ${id}`)
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
  },
}

/** The site settings the flags give; siteProblem checks them once merged. */
function siteOptions(v: Values): Partial<Site> {
  return {
    ...(v.origin !== undefined && { origins: v.origin as string[] }),
    ...(v.timezone !== undefined && { timezone: v.timezone as string }),
    ...(v.param !== undefined && { params: v.param as string[] }),
    ...(v['detail-days'] !== undefined && { detailDays: wholeNumber('detail-days', v['detail-days'], 0, MAX_DETAIL_DAYS, { unit: 'days' }) }),
  }
}
