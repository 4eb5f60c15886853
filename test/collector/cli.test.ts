import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { marginalStart } from '../../src/collector/retention.js'
import { dateOfDay } from '../../src/collector/sites/time-zone.js'
import { sqliteStore } from '../../src/collector/stores/sqlite/index.js'
import { marginalEdgeRows } from '../fixtures/marginal-edge-rows.js'
import { writePlausibleExport } from '../fixtures/plausible-export.js'

// The built `quietcount` command, run as a user runs it (npm test builds dist/ first).
const dir = mkdtempSync(join(tmpdir(), 'quietcount-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [join(process.cwd(), 'dist/node/cli/main.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, 'cli.db')}`, QUIETCOUNT_CONFIG: join(dir, 'quietcount.json') },
  })
  return { code: result.status, out: result.stdout, err: result.stderr }
}

describe('quietcount CLI', () => {
  it.each(['serve', 'demo', 'migrate', 'prune', 'sites', 'tokens', 'share', 'report', 'import', 'export'])('%s --help explains itself', (command) => {
    const { code, out } = run(command, '--help')
    expect(code).toBe(0)
    expect(out).toContain(`quietcount ${command}`)
  })

  it.each([
    [['nonsense'], 'unknown command "nonsense"'],
    [['report'], 'report needs --site ID'],
    [['report', '--site', 'nowhere.test'], 'no site "nowhere.test"'],
    [['report', '--bogus'], "Unknown option '--bogus'"],
    [['serve', '--port', 'eighty'], '--port must be a whole number from 0 to 65535 (got "eighty")'],
    [['sites', 'add', 'Bad Site'], 'site id "Bad Site" must be lowercase letters'],
    [['sites', 'add', 'ok.test', '--timezone', 'Mars/Olympus'], 'time zone "Mars/Olympus" is not an IANA time zone'],
    [['sites', 'add', 'ok.test', '--origin', 'https://ok.test/path'], 'origin "https://ok.test/path" must be a scheme and host'],
    [['sites', 'frobnicate', 'x'], 'sites takes add, set, list or remove'],
    [['sites', 'add', 'ok.test', '--detail-days', 'forever'], '--detail-days must be a whole number of days from 0 to 760 (got "forever")'],
    [['sites', 'add', 'ok.test', '--detail-days', '800'], '--detail-days must be a whole number of days from 0 to 760 (got "800")'],
    [['sites', 'set', 'nowhere.test', '--detail-days', '3'], 'no site "nowhere.test"'],
    [['sites', 'add', 'ok.test', '--marginal-months', '0'], '--marginal-months must be a whole number of months from 1 to 120, or forever (got "0")'],
    [['sites', 'add', 'ok.test', '--marginal-months', 'abc'], '--marginal-months must be a whole number of months from 1 to 120, or forever (got "abc")'],
    [['sites', 'add', 'ok.test', '--marginal-months', '121'], '--marginal-months must be a whole number of months from 1 to 120, or forever (got "121")'],
    [['sites', 'add', 'ok.test', '--marginal-months', '2.5'], '--marginal-months must be a whole number of months from 1 to 120, or forever (got "2.5")'],
    [['report', '--site', 'x', '--breakdown', 'page', '--breakdown', 'nope'], 'no site "x"'],
    [['tokens', 'create'], 'tokens create needs exactly one of --site ID or --admin'],
    [['share', 'create', 'nowhere.test'], 'no site "nowhere.test"'],
    [['serve', '--rate-limit', 'lots'], '--rate-limit must be a whole number from 0 (off) to 100000 (got "lots")'],
    [['demo', '--days', '0'], '--days must be a whole number from 1 to 1098 (got "0")'],
    [['demo', '--seed', 'abc'], '--seed must be a whole number'],
    [['import', 'matomo', '--site', 'x'], 'no site "x"'],
    [['import', 'plausible', 'export.zip'], 'import plausible needs --site ID'],
    [['import', 'remove', '--site', 'nowhere.test', 'plausible-20240101-20240102'], 'no site "nowhere.test"'],
    [['export', 'csv', 'out.zip'], 'export takes plausible (got "csv")'],
    [['export', 'plausible', 'out.csv', '--site', 'x'], 'export plausible takes one OUT.zip (got "out.csv")'],
    [['export', 'plausible', 'out.zip'], 'export plausible needs --site ID'],
    [['export', 'plausible', 'out.zip', '--site', 'x', '--from', '2024-02-30'], '--from must be a day YYYY-MM-DD (got "2024-02-30")'],
  ])('%j fails with exit 2 and says why', (args, message) => {
    const { code, err } = run(...args)
    expect(code).toBe(2)
    expect(err).toContain(message)
  })

  it('says which port is in use when serve cannot listen, and exits 1', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = String((busy.address() as AddressInfo).port)
    try {
      const { code, err } = run('serve', '--port', port)
      expect(code).toBe(1)
      expect(err).toContain(`port ${port} is in use`)
    } finally {
      busy.close()
    }
  })

  it('seeds demo data once, and refuses to seed a store twice', () => {
    const store = (name: string) => ({ ...process.env, QUIETCOUNT_STORE: `sqlite:${join(dir, name)}`, QUIETCOUNT_CONFIG: join(dir, `${name}.json`) })
    const seeded = (name: string) =>
      spawnSync(process.execPath, [join(process.cwd(), 'dist/node/cli/main.js'), 'demo', '--days', '3', '--seed', '5'], { cwd: dir, encoding: 'utf8', env: store(name) })
    const first = seeded('demo-a.db')
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(/seeded [\d,]+ page views over 3 days/)
    expect(first.stdout).toMatch(/admin token for the dashboard \(shown once\): \S{32}/)
    const again = seeded('demo-a.db')
    expect(again.status).toBe(2)
    expect(again.stderr).toContain('holds demo counts already')
  })

  it('names the missing --from when a report gives only --to', () => {
    run('sites', 'add', 'range.test')
    const { code, err } = run('report', '--site', 'range.test', '--to', '2026-11-01')
    expect(code).toBe(2)
    expect(err).toContain('--from: is required when to is given')
  })

  // Some twenty CLI runs, each a new Node process: longer than one test usually takes.
  it('manages sites, tokens and share links; stores only token hashes', () => {
    expect(run('sites', 'add', 'shop.test', '--origin', 'https://shop.test', '--timezone', 'Europe/Madrid', '--param', 'page').code).toBe(0)
    expect(run('sites', 'add', 'shop.test').err).toContain('exists already')
    expect(run('sites', 'list').out).toContain('shop.test\tEurope/Madrid\thttps://shop.test')
    const token = run('tokens', 'create', '--site', 'shop.test').out.trim()
    expect(token).toMatch(/^[\w-]{32}$/)
    expect(readFileSync(join(dir, 'quietcount.json'), 'utf8')).not.toContain(token)
    expect(run('tokens', 'list').out).toContain('shop.test')
    expect(run('tokens', 'revoke', token).out).toContain('revoked')
    expect(run('tokens', 'revoke', token).err).toContain('no such token')
    const made = run('share', 'create', 'shop.test', '--epsilon', '0.5', '--panels', 'page,country').out
    const link = /^\/share\/([\w-]+)\tthe page to share/.exec(made)?.[1]
    expect(link, made).toBeDefined()
    expect(made).toContain(`/api/share/${link}\tits figures, as JSON`)
    expect(made).toMatch(/ε = 0\.5 per page view, event or consent decision; panels: page, country\ntypical error \(one standard deviation\): ±\d+ page views on a day's figure/)
    expect(run('share', 'list', 'shop.test').out).toMatch(new RegExp(`/share/${link}\tε=0.5\tpage,country\t\\d{4}-`))
    expect(readFileSync(join(dir, 'quietcount.json'), 'utf8')).toMatch(/"seed": "[\w-]{43}"/)
    expect(run('share', 'create', 'shop.test', '--epsilon', '0').err).toContain('--epsilon must be a number from 0.01 to 10 with at most two decimals (got "0")')
    expect(run('share', 'create', 'shop.test', '--epsilon', '1e1').code).toBe(2)
    expect(run('share', 'create', 'shop.test', '--panels', 'page,visitors').err).toContain('--panels must name one or more of page, entry_page')
    // A k-anonymity link of an older registry becomes a private link of the same address at the next migrate.
    const registry = JSON.parse(readFileSync(join(dir, 'quietcount.json'), 'utf8'))
    registry.sites.find((s: { id: string }) => s.id === 'shop.test').shares.push({ id: 'legacy-link-0123456789', k: 10 })
    writeFileSync(join(dir, 'quietcount.json'), JSON.stringify(registry))
    expect(run('share', 'list', 'shop.test').out).toContain('/share/legacy-link-0123456789\tk=10: k-anonymity, no longer served')
    const migrated = run('migrate')
    expect(migrated.code).toBe(0)
    expect(migrated.err).toContain('1 share link(s) of k-anonymity, which differencing breaks, are now differentially private')
    expect(run('share', 'list', 'shop.test').out).toMatch(/\/share\/legacy-link-0123456789\tε=1\t/)
    expect(run('share', 'list', 'shop.test').out).toContain('2 link(s); together they reveal at most ε = 1.5 per page view')
    expect(run('report', '--site', 'shop.test', '--period', '7d', '--format', 'json').out).toContain('"pageviews": 0')
    expect(run('sites', 'set', 'shop.test').err).toContain('sites set needs at least one of')
    expect(run('sites', 'set', 'shop.test', '--detail-days', '0').out).toContain('changed shop.test: detailDays')
    expect(run('sites', 'list').out).toContain('\tdetail 0 days')
    const moved = run('sites', 'set', 'shop.test', '--timezone', 'America/Bogota', '--detail-days', '90')
    expect(moved.out).toContain('days and months are counted in America/Bogota from now on')
    expect(moved.out).toContain('detail already deleted does not come back')
    expect(run('sites', 'list').out).toContain('shop.test\tAmerica/Bogota\thttps://shop.test\t2 share link(s)\tdetail 90 days')
    expect(run('sites', 'remove', 'shop.test').code).toBe(0)
    expect(run('sites', 'list').out).not.toContain('shop.test')
  }, 90_000)

  it('keeps marginals for a number of months, or for ever, and says what a change does', () => {
    const added = run('sites', 'add', 'months.test', '--timezone', 'Europe/Madrid', '--marginal-months', '25')
    expect(added.code).toBe(0)
    expect(added.out).toContain('added months.test (Europe/Madrid, detail 62 days, marginals 25 months)')
    expect(run('sites', 'list').out).toContain('months.test\tEurope/Madrid\t(any origin)\t0 share link(s)\tdetail 62 days, marginals 25 months\n')
    const config = () => JSON.parse(readFileSync(join(dir, 'quietcount.json'), 'utf8')).sites.find((s: { id: string }) => s.id === 'months.test')
    expect(config().marginalMonths).toBe(25)

    // Lowered: the note names the first day kept, which the next expiry keeps from.
    const lowered = run('sites', 'set', 'months.test', '--marginal-months', '1')
    const start = marginalStart({ timezone: 'Europe/Madrid', marginalMonths: 1 }, Date.now())!
    expect(lowered.out).toContain('changed months.test: marginalMonths')
    expect(lowered.out).toContain(
      `note: marginals before ${dateOfDay(start.day)} (Europe/Madrid days) are deleted at the collector's next hourly expiry or by quietcount prune, and do not come back.`,
    )
    expect(run('sites', 'list').out).toContain('\tdetail 62 days, marginals 1 month\n')

    const raised = run('sites', 'set', 'months.test', '--marginal-months', '12')
    expect(raised.out).toContain('note: a longer marginal window keeps marginals from now on; marginals already deleted do not come back.')
    expect(raised.out).not.toContain('are deleted at')

    const unlimited = run('sites', 'set', 'months.test', '--marginal-months', 'forever')
    expect(unlimited.code).toBe(0)
    expect(unlimited.out).toContain('marginals already deleted do not come back')
    expect(config()).not.toHaveProperty('marginalMonths')
    expect(run('sites', 'list').out).toContain('months.test\tEurope/Madrid\t(any origin)\t0 share link(s)\tdetail 62 days, marginals kept\n')
    // Already for ever: nothing changes, nothing to note.
    expect(run('sites', 'set', 'months.test', '--marginal-months', 'forever').out).not.toContain('note:')

    run('sites', 'set', 'months.test', '--marginal-months', '6')
    expect(run('sites', 'remove', 'months.test').out).toContain('its marginals are kept: the limit of 6 months no longer applies')
  })

  it('reports several breakdowns at once, refuses CSV of several, and says where detail is needed instead of an empty file', () => {
    run('sites', 'add', 'multi.test', '--timezone', 'UTC')
    const both = run('report', '--site', 'multi.test', '--breakdown', 'page,referrer', '--breakdown', 'prop', '--include', 'none')
    expect(both.code).toBe(0)
    expect(both.out).toContain('by page (Pages)')
    expect(both.out).toContain('by prop (Event properties)')
    expect(both.out).not.toContain('pageviews ')
    expect(run('report', '--site', 'multi.test', '--breakdown', 'page,referrer', '--format', 'csv').err).toContain('--format csv writes one breakdown (got page, referrer)')
    const far = run('report', '--site', 'multi.test', '--period', '12mo', '--filter', 'path:/', '--breakdown', 'referrer', '--format', 'csv')
    expect(far.code).toBe(1)
    expect(far.err).toContain('Referrers under the filter path:/ need the detail tier, which keeps 62 days')
    expect(far.out).toBe('')
  })

  // Some fifteen CLI runs, each a new Node process, imports and an export among them: 30 s was too little in a full CI run.
  it('imports a Plausible export, lists and replaces it, exports it again, and removes it', () => {
    run('sites', 'add', 'moving.test', '--timezone', 'Europe/Madrid')
    expect(run('import', 'frobnicate', '--site', 'moving.test').err).toContain('import takes plausible, goatcounter, list or remove (got "frobnicate")')
    expect(run('import', 'plausible', '--site', 'moving.test', join(dir, 'nothing-here')).err).toContain('nothing-here: no such file or folder')
    writePlausibleExport(join(dir, 'plausible'))
    const first = run('import', 'plausible', '--site', 'moving.test', join(dir, 'plausible'))
    expect(first.code, first.err).toBe(0)
    expect(first.out).toContain('imported plausible-20240101-20240102 into moving.test: 2024-01-01 – 2024-01-02, 31 lines')
    expect(run('import', 'plausible', '--site', 'moving.test', join(dir, 'plausible')).code).toBe(0)
    const listed = run('import', 'list', '--site', 'moving.test').out.trim().split('\n')
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatch(/^moving\.test\tplausible-20240101-20240102\t2024-01-01 – 2024-01-02\t31 lines\t/)
    const report = () =>
      JSON.parse(run('report', '--site', 'moving.test', '--from', '2024-01-01', '--to', '2024-01-02', '--format', 'json').out) as { metrics: { visitors: number } }
    // Imported twice, counted once.
    expect(report().metrics.visitors).toBe(15)
    const exported = run('export', 'plausible', join(dir, 'moving.zip'), '--site', 'moving.test')
    expect(exported.code, exported.err).toBe(0)
    expect(exported.out).toMatch(/^wrote .*moving\.zip: moving\.test 2024-01-01 – 2024-01-02, \d+ lines \(visitors 2, /)
    expect(run('import', 'remove', '--site', 'moving.test', 'plausible-2020').err).toContain('no import "plausible-2020" for moving.test')
    expect(run('import', 'remove', '--site', 'moving.test', 'plausible-20240101-20240102').out).toContain('removed plausible-20240101-20240102 from moving.test')
    expect(run('import', 'list', '--site', 'moving.test').out).toBe('')
    expect(report().metrics.visitors).toBe(0)
    expect(run('export', 'plausible', join(dir, 'empty.zip'), '--site', 'moving.test').err).toContain('moving.test has no counts to export')
  }, 90_000)

  it('refuses an export with a bad line, names it, writes nothing and exits 1', () => {
    run('sites', 'add', 'refused.test', '--timezone', 'UTC')
    writePlausibleExport(join(dir, 'bad-export'), { visitors: 'date,visitors,pageviews,bounces,visits,visit_duration\n2024-01-01,1,1,0,1,0\n2024-01-02,x,1,0,1,0\n' })
    const refused = run('import', 'plausible', '--site', 'refused.test', join(dir, 'bad-export'))
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('nothing imported: 1 line(s) refused\nimported_visitors_20240101_20240102.csv:3: visitors "x" must be a whole number from 0 to 1000000000000')
    expect(run('import', 'list', '--site', 'refused.test').out).toBe('')
  })

  it('prunes detail older than each window, and says what it deleted', () => {
    run('sites', 'add', 'prune.test', '--timezone', 'UTC', '--detail-days', '7')
    const { code, out } = run('prune')
    expect(code).toBe(0)
    expect(out).toMatch(/^prune\.test: detail before \d{4}-\d{2}-\d{2}T00:00 UTC \(UTC days\) deleted: 0 rows$/m)
    expect(out).not.toContain('prune.test: marginals')
  })

  it('prunes the marginals of a site with a marginal window, and says what it deleted', async () => {
    run('sites', 'add', 'old.test', '--timezone', 'Asia/Tokyo', '--marginal-months', '2')
    run('sites', 'add', 'kept.test', '--timezone', 'Asia/Tokyo')
    expect(run('migrate').code).toBe(0)
    const start = marginalStart({ timezone: 'Asia/Tokyo', marginalMonths: 2 }, Date.now())!
    const rows = (site: string) => marginalEdgeRows(site, start)
    const store = sqliteStore(join(dir, 'cli.db'))
    await store.write([...rows('old.test'), ...rows('kept.test')])
    await store.close()

    const { code, out } = run('prune')
    expect(code).toBe(0)
    expect(out).toContain(`old.test: marginals before ${dateOfDay(start.day)} (Asia/Tokyo months) deleted: 3 rows\n`)
    expect(out).not.toContain('kept.test: marginals')
    // Once gone, a second run finds nothing before the bound.
    expect(run('prune').out).toContain(`old.test: marginals before ${dateOfDay(start.day)} (Asia/Tokyo months) deleted: 0 rows\n`)

    const after = sqliteStore(join(dir, 'cli.db'))
    const views = async (site: string) =>
      Promise.all((['totals', 'daily', 'monthly'] as const).map(async (table) => Number((await after.query([{ site, parts: [{ table, from: 0, to: 2 ** 31 }] }]))[0]![0]!.views)))
    expect(await views('old.test')).toEqual([2, 2, 2])
    expect(await views('kept.test')).toEqual([3, 3, 3])
    await after.close()
  })
})
