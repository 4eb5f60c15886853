import { registryFile, withoutShare, withShare } from '../../collector/sites/registry.js'
import { DEFAULT_EPSILON, DEFAULT_PANELS, epsilonProblem, isLegacyShare, panelsProblem, type ShareLink } from '../../collector/sites/sites.js'
import { RANGES_PER_DAY } from '../../collector/stats/public/query.js'
import { errorOf, releaseOf, thresholdOf } from '../../collector/stats/public/release.js'
import type { BreakdownName } from '../../shared/dimensions.js'
import { CONFIG, type Command, siteNamed, UsageError } from '../command.js'

export const share: Command = {
  usage: `quietcount share create SITE [--epsilon ${DEFAULT_EPSILON}] [--panels ${DEFAULT_PANELS.join(',')}]
quietcount share list SITE
quietcount share revoke SITE LINK
  (all take --config FILE)

A share link shows a site's stats read-only and without a token on the page /share/LINK (its
data: /api/share/LINK). Its figures are differentially private: every day's counts get noise,
so that no combination of its answers tells whether one page view, event or consent decision
was counted, beyond a privacy loss of ε per record (--epsilon, 0.01 to 10: smaller is more
private and less exact). Each panel costs privacy, so a link shows only the panels it names
(--panels, comma-separated breakdown names). Rows of lists (pages, referrers…) counted too
little to hide one visitor are left out. Each link of a site adds its ε: "share list" gives
the sum. docs/privacy.md explains the guarantee and its cost.`,
  options: { config: CONFIG, epsilon: { type: 'string', default: String(DEFAULT_EPSILON) }, panels: { type: 'string', default: DEFAULT_PANELS.join(',') } },
  async run(v, [action, id, link]) {
    const registry = registryFile(String(v.config))
    const site = siteNamed(registry, id)
    if (action === 'create') {
      const epsilon = Number(v.epsilon)
      const badEpsilon = epsilonProblem(epsilon)
      if (badEpsilon || !/^\d+(\.\d+)?$/.test(String(v.epsilon)))
        throw new UsageError(`--epsilon ${badEpsilon ?? 'must be a plain decimal number'} (got ${JSON.stringify(v.epsilon)})`)
      const panels = String(v.panels).split(',') as BreakdownName[]
      const badPanels = panelsProblem(panels)
      if (badPanels) throw new UsageError(`--panels ${badPanels} (got ${JSON.stringify(v.panels)})`)
      const made = withShare(registry.read(), site, { epsilon, panels })
      registry.write(made.registry)
      console.log(`/share/${made.link.id}\tthe page to share, on this collector's address`)
      console.log(`/api/share/${made.link.id}\tits figures, as JSON`)
      console.log(accuracy(made.link))
    } else if (action === 'list') {
      for (const s of site.shares) {
        console.log(
          isLegacyShare(s)
            ? `/share/${s.id}\tk=${s.k}: k-anonymity, no longer served; quietcount migrate turns it into a private link`
            : `/share/${s.id}\tε=${s.epsilon}\t${s.panels.join(',')}\t${s.created}`,
        )
      }
      const total = site.shares.reduce((sum, s) => sum + (isLegacyShare(s) ? 0 : s.epsilon), 0)
      console.log(`${site.shares.length} link(s); together they reveal at most ε = ${Math.round(total * 100) / 100} per page view, event or consent decision`)
    } else if (action === 'revoke') {
      if (!site.shares.some((s) => s.id === link)) throw new UsageError(`no share link ${JSON.stringify(link ?? '')} for ${site.id}`)
      registry.write(withoutShare(registry.read(), site, link!))
      console.log('revoked')
    } else throw new UsageError(`share takes create, list or revoke (got ${JSON.stringify(action)})`)
  },
}

/** What a link's noise costs a reader, in page views: on a day, on 30 days, and the least a row of 30 days needs to be listed. */
function accuracy(link: ShareLink): string {
  const release = releaseOf(link, RANGES_PER_DAY)
  const round = (value: number) => Math.round(value).toLocaleString('en')
  return [
    `ε = ${link.epsilon} per page view, event or consent decision; panels: ${link.panels.join(', ')}`,
    `typical error (one standard deviation): ±${round(errorOf(release, 'pages', 1))} page views on a day's figure, ±${round(errorOf(release, 'pages', 30))} on a 30-day total;`,
    `a page, referrer or other listed value needs about ${round(thresholdOf(release, 'pages', 30))} page views in 30 days to be shown`,
  ].join('\n')
}
