import { registryFile } from '../../collector/sites/registry.js'
import { answerStats } from '../../collector/stats/answer.js'
import { parseStatsQuery } from '../../collector/stats/parse-query.js'
import { BREAKDOWN_NAMES, FILTERS } from '../../shared/dimensions.js'
import { CONFIG, type Command, STORE, siteNamed, UsageError, withStore } from '../command.js'
import { formatReport } from '../report-format.js'

const FORMATS = ['table', 'json', 'csv'] as const

export const report: Command = {
  usage: `quietcount report --site ID [--period 30d] [--from YYYY-MM-DD --to YYYY-MM-DD] [--interval day]
                  [--include metrics,timeseries] [--breakdown page,referrer]... [--filter dimension:value]...
                  [--compare] [--limit 50] [--k 0] [--format table|json|csv] [--store URL] [--config FILE]

The stats of a site, as the API and the dashboard compute them.
  --period     today, yesterday, 7d, 30d (default), month, last-month, 12mo, custom
  --include    metrics, timeseries (both by default), or none: only the breakdowns
  --breakdown  one or more, comma-separated or repeated: ${BREAKDOWN_NAMES.join(', ')}
  --filter     dimension:value, repeatable; dimensions ${FILTERS.join(', ')}
  --compare    add the previous period of the same length
  --format     table (default): metrics, then each breakdown; json: the whole result;
               csv: the rows of one breakdown (or the time series without --breakdown)
Without a filter or with one, totals and breakdowns of that dimension come from per-dimension
counts, kept for ever unless the site limits them (sites set --marginal-months); any other breakdown under a filter needs the site's detail window
(sites set --detail-days), and says so outside it.`,
  options: {
    site: { type: 'string' },
    period: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    interval: { type: 'string' },
    include: { type: 'string' },
    breakdown: { type: 'string', multiple: true },
    filter: { type: 'string', multiple: true },
    compare: { type: 'boolean' },
    limit: { type: 'string' },
    k: { type: 'string' },
    format: { type: 'string', default: 'table' },
    store: STORE,
    config: CONFIG,
  },
  async run(v) {
    if (!v.site) throw new UsageError('report needs --site ID (see quietcount sites list)')
    const format = FORMATS.find((f) => f === v.format)
    if (!format) throw new UsageError(`--format must be table, json or csv (got ${JSON.stringify(v.format)})`)
    const registry = registryFile(String(v.config))
    const site = siteNamed(registry, v.site)
    // The flags are the API's query parameters, so both are checked by the same parser.
    const params = new URLSearchParams()
    for (const key of ['period', 'from', 'to', 'interval', 'include', 'limit', 'k']) if (v[key] !== undefined) params.set(key, String(v[key]))
    for (const breakdown of (v.breakdown as string[] | undefined) ?? []) params.append('breakdown', breakdown)
    for (const filter of (v.filter as string[] | undefined) ?? []) params.append('filter', filter)
    if (v.compare) params.set('compare', 'previous')
    const parsed = parseStatsQuery(params, site)
    if (!parsed.ok) throw new UsageError(`--${parsed.error.message}`)
    if (format === 'csv' && parsed.query.breakdowns.length > 1)
      throw new UsageError(`--format csv writes one breakdown (got ${parsed.query.breakdowns.join(', ')}); use json for several`)
    await withStore(String(v.store), registry, async (store) => {
      const answer = await answerStats(store, parsed.query)
      if (!answer.ok) throw new UsageError(`--${answer.error.message}`)
      process.stdout.write(formatReport(answer.result, format))
    })
  },
}
