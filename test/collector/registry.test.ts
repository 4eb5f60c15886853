import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { registryFile, withoutShare, withoutSite, withoutToken, withShare, withSharesMigrated, withSite, withToken } from '../../src/collector/sites/registry.js'
import { DEFAULT_PANELS, hashToken, mayRead, type Site, siteProblem, tokenScope } from '../../src/collector/sites/sites.js'

const dir = mkdtempSync(join(tmpdir(), 'qc-registry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const SITE: Site = { id: 'a.test', origins: [], timezone: 'UTC', shares: [] }

describe('registry file', () => {
  it('is parsed once, and again only after the file changes (another process writing it)', async () => {
    const file = join(dir, 'once.json')
    const server = registryFile(file)
    const cli = registryFile(file)
    cli.write({ sites: [SITE], tokens: [] })
    const first = server.read()
    expect(first.sites.map((s) => s.id)).toEqual(['a.test'])
    // The same object: no stat, no parse on the next reads.
    for (let i = 0; i < 100; i++) expect(server.read()).toBe(first)
    cli.write(withSite(cli.read(), { ...SITE, id: 'b.test' }))
    await vi.waitFor(() => expect(server.read().sites.map((s) => s.id)).toEqual(['a.test', 'b.test']))
    server.close()
  })

  it('keeps the last good registry when a hand edit breaks the file, and says so once', async () => {
    const file = join(dir, 'broken.json')
    const server = registryFile(file)
    server.write({ sites: [SITE], tokens: [] })
    expect(server.read().sites).toHaveLength(1)
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      writeFileSync(file, '{"sites": [')
      await vi.waitFor(() => {
        expect(server.read().sites.map((s) => s.id)).toEqual(['a.test'])
        expect(errors).toHaveBeenCalledWith(expect.stringContaining('is not valid JSON'))
      })
      // Once the change is seen, reads log nothing more.
      await new Promise((resolve) => setTimeout(resolve, 100))
      server.read()
      const said = errors.mock.calls.length
      for (let i = 0; i < 10; i++) server.read()
      expect(errors).toHaveBeenCalledTimes(said)
      expect(() => registryFile(file).read()).toThrow(/is not valid JSON/)
    } finally {
      errors.mockRestore()
      server.close()
    }
  })

  it('reads as empty while the file does not exist, and sees it once created', async () => {
    const file = join(dir, 'later.json')
    const server = registryFile(file)
    expect(server.read()).toEqual({ sites: [], tokens: [] })
    registryFile(file).write({ sites: [SITE], tokens: [] })
    await vi.waitFor(() => expect(server.read().sites).toHaveLength(1))
    server.close()
  })
})

describe('registry edits', () => {
  it('add and replace sites, and remove a site with its tokens', () => {
    const one = withSite({ sites: [], tokens: [] }, SITE)
    const replaced = withSite(one, { ...SITE, timezone: 'Europe/Madrid' })
    expect(replaced.sites).toEqual([{ ...SITE, timezone: 'Europe/Madrid' }])
    const { registry } = withToken(replaced, 'a.test')
    expect(withoutSite(registry, 'a.test')).toEqual({ sites: [], tokens: [] })
  })

  it('keep only token hashes, revoke by token, and replace the tokens of a note when asked', () => {
    const first = withToken({ sites: [SITE], tokens: [] }, '*', { note: 'npm start', replace: true })
    expect(first.registry.tokens).toEqual([{ hash: hashToken(first.token), site: '*', created: expect.any(String), note: 'npm start' }])
    expect(JSON.stringify(first.registry)).not.toContain(first.token)
    const second = withToken(first.registry, '*', { note: 'npm start', replace: true })
    expect(second.registry.tokens.map((t) => t.hash)).toEqual([hashToken(second.token)])
    const kept = withToken(second.registry, '*', { note: 'demo' })
    expect(withToken(kept.registry, '*', { note: 'demo' }).registry.tokens).toHaveLength(3)
    expect(withoutToken(kept.registry, kept.token)?.tokens.map((t) => t.hash)).toEqual([hashToken(second.token)])
    expect(withoutToken(kept.registry, 'not-a-token')).toBeUndefined()
  })

  it('add and revoke share links, each with a secret seed of its own', () => {
    const { registry, link } = withShare({ sites: [SITE], tokens: [] }, SITE, { epsilon: 0.5, panels: ['page', 'country'] })
    expect(registry.sites[0]!.shares).toEqual([{ id: link.id, epsilon: 0.5, seed: expect.stringMatching(/^[\w-]{43}$/), panels: ['page', 'country'], created: expect.any(String) }])
    expect(siteProblem(registry.sites[0]!)).toBeUndefined()
    const second = withShare(registry, registry.sites[0]!, { epsilon: 0.5, panels: ['page'] })
    expect(second.link.seed).not.toBe(link.seed)
    expect(withoutShare(registry, registry.sites[0]!, link.id).sites[0]!.shares).toEqual([])
  })

  it('turn k-anonymity links of older versions into private links of the same address, once', () => {
    const legacy = { ...SITE, shares: [{ id: 'legacy-link-0123456789', k: 5 }] }
    expect(siteProblem(legacy)).toBeUndefined()
    const { registry, converted } = withSharesMigrated({ sites: [legacy, SITE], tokens: [] })
    expect(converted).toBe(1)
    expect(registry.sites[0]!.shares).toEqual([{ id: 'legacy-link-0123456789', epsilon: 1, seed: expect.any(String), panels: DEFAULT_PANELS, created: expect.any(String) }])
    expect(withSharesMigrated(registry)).toEqual({ registry, converted: 0 })
  })

  it.each([
    [{ id: 'short', epsilon: 1, seed: 'x'.repeat(43), panels: ['page'] }, 'must have an id of 16 to 64 letters'],
    [{ id: 'a'.repeat(32), epsilon: 0, seed: 'x'.repeat(43), panels: ['page'] }, 'epsilon must be a number from 0.01 to 10 with at most two decimals (got 0)'],
    [{ id: 'a'.repeat(32), epsilon: 0.123, seed: 'x'.repeat(43), panels: ['page'] }, 'epsilon must be a number from 0.01 to 10 with at most two decimals (got 0.123)'],
    [{ id: 'a'.repeat(32), epsilon: 1, seed: 'short', panels: ['page'] }, 'seed must be 32 bytes in base64url'],
    [{ id: 'a'.repeat(32), epsilon: 1, seed: 'x'.repeat(43), panels: [] }, 'panels must name one or more of'],
    [{ id: 'a'.repeat(32), epsilon: 1, seed: 'x'.repeat(43), panels: ['page', 'page'] }, 'each once'],
    [{ id: 'a'.repeat(32), epsilon: 1, seed: 'x'.repeat(43), panels: ['visitors'] }, 'panels must name one or more of'],
  ])('refuse a share link %j, saying why', (link, why) => {
    expect(siteProblem({ ...SITE, shares: [link as never] })).toContain(why)
  })
})

describe('site settings', () => {
  it.each([1, 25, 120, undefined])('takes a marginal window of %s months', (marginalMonths) => {
    expect(siteProblem({ ...SITE, marginalMonths })).toBeUndefined()
  })
  it.each([0, 121, 1.5, -1, '25'])('refuses a marginal window of %j months, naming it and the allowed form', (marginalMonths) => {
    expect(siteProblem({ ...SITE, marginalMonths: marginalMonths as number })).toBe(
      `marginal window ${JSON.stringify(marginalMonths)} of a.test must be a whole number of months from 1 to 120, or absent to keep marginals for ever`,
    )
  })
  it('refuses a hand-edited registry file with a bad marginal window, naming the file', () => {
    const file = join(dir, 'months.json')
    writeFileSync(file, JSON.stringify({ sites: [{ ...SITE, marginalMonths: 0 }], tokens: [] }))
    expect(() => registryFile(file).read()).toThrow(`${file}: marginal window 0 of a.test must be a whole number of months from 1 to 120`)
  })
})

describe('tokenScope', () => {
  const made = withToken({ sites: [SITE], tokens: [] }, 'a.test')
  it('names what a bearer token may read, hashing it once', () => {
    expect(tokenScope(made.registry, `Bearer ${made.token}`)).toBe('a.test')
    expect(tokenScope(made.registry, `bearer   ${made.token}`)).toBe('a.test')
    expect(tokenScope(made.registry, 'Bearer guess')).toBeUndefined()
    expect(tokenScope(made.registry, undefined)).toBeUndefined()
    expect(tokenScope({ ...made.registry, tokens: [{ hash: 'not-a-hash', site: '*', created: '' }] }, 'Bearer x')).toBeUndefined()
    expect([mayRead('a.test', 'a.test'), mayRead('a.test', 'b.test'), mayRead('*', 'b.test')]).toEqual([true, false, true])
  })
})
