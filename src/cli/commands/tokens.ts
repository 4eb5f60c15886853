import { registryFile, withoutToken, withToken } from '../../collector/sites/registry.js'
import { CONFIG, type Command, siteNamed, UsageError } from '../command.js'

export const tokens: Command = {
  usage: `quietcount tokens create --site ID | --admin
quietcount tokens revoke TOKEN
quietcount tokens list
  (all take --config FILE)

A read token lets GET /api/stats read one site; the admin token reads every site. Only a hash
is stored: the token is shown once, when created.`,
  options: { config: CONFIG, site: { type: 'string' }, admin: { type: 'boolean' } },
  async run(v, [action, token]) {
    const registry = registryFile(String(v.config))
    const current = registry.read()
    if (action === 'create') {
      if (Boolean(v.admin) === (v.site !== undefined)) throw new UsageError('tokens create needs exactly one of --site ID or --admin')
      const site = v.admin ? '*' : siteNamed(registry, v.site).id
      const made = withToken(current, site)
      registry.write(made.registry)
      console.log(made.token)
    } else if (action === 'revoke') {
      if (!token) throw new UsageError('tokens revoke needs the token')
      const next = withoutToken(current, token)
      if (!next) throw new UsageError('no such token')
      registry.write(next)
      console.log('revoked')
    } else if (action === 'list') {
      for (const t of current.tokens) console.log(`${t.hash.slice(0, 12)}…\t${t.site === '*' ? '(admin)' : t.site}\t${t.created}`)
    } else throw new UsageError(`tokens takes create, revoke or list (got ${JSON.stringify(action)})`)
  },
}
