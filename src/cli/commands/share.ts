import { registryFile, withoutShare, withShare } from '../../collector/registry.js'
import { CONFIG, type Command, siteNamed, UsageError, wholeNumber } from '../command.js'

export const share: Command = {
  usage: `quietcount share create SITE [--k 5]
quietcount share list SITE
quietcount share revoke SITE LINK
  (all take --config FILE)

A share link shows a site's stats read-only, without a token, at /api/share/LINK; rows counted
for fewer than k visitors are folded into "(other)".`,
  options: { config: CONFIG, k: { type: 'string', default: '5' } },
  async run(v, [action, id, link]) {
    const registry = registryFile(String(v.config))
    const site = siteNamed(registry, id)
    if (action === 'create') {
      const made = withShare(registry.read(), site, wholeNumber('k', v.k, 1, 1000))
      registry.write(made.registry)
      console.log(`/api/share/${made.link}`)
    } else if (action === 'list') {
      for (const s of site.shares) console.log(`/api/share/${s.id}\tk=${s.k}`)
    } else if (action === 'revoke') {
      if (!site.shares.some((s) => s.id === link)) throw new UsageError(`no share link ${JSON.stringify(link ?? '')} for ${site.id}`)
      registry.write(withoutShare(registry.read(), site, link!))
      console.log('revoked')
    } else throw new UsageError(`share takes create, list or revoke (got ${JSON.stringify(action)})`)
  },
}
