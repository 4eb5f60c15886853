import { describe, expect, it } from 'vitest'
import { countryOf, describeClient } from '../../src/collector/ingest/enrich.js'

describe('enrichment', () => {
  const headers = (init: Record<string, string>) => new Headers(init)
  it('keeps browser family and major version, OS and device class', () => {
    expect(describeClient(headers({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' }))).toEqual({
      browser: 'Firefox',
      browser_version: '133',
      os: 'Linux',
      device: 'desktop',
    })
    expect(
      describeClient(
        headers({ 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' }),
      ),
    ).toEqual({ browser: 'Mobile Safari', browser_version: '18', os: 'iOS', device: 'mobile' })
  })

  it('prefers Client Hints, skipping GREASE brands', () => {
    const client = describeClient(
      headers({
        'user-agent': 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
        'sec-ch-ua': '"Not_A Brand";v="8", "Chromium";v="131", "Google Chrome";v="131"',
        'sec-ch-ua-platform': '"Android"',
        'sec-ch-ua-mobile': '?1',
      }),
    )
    expect(client).toEqual({ browser: 'Chrome', browser_version: '131', os: 'Android', device: 'mobile' })
  })

  it('keeps only known Client Hints values, so a crafted header cannot store an identifier', () => {
    const client = describeClient(
      headers({
        'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
        'sec-ch-ua': '"user-4f1c9a2e";v="131", "Microsoft Edge";v="131123", "Chromium";v="131"',
        'sec-ch-ua-platform': '"jane.doe@example.org"',
        'sec-ch-ua-mobile': '?0',
      }),
    )
    // The unknown brand is skipped, the over-long version refused, the platform left to the user agent.
    expect(client).toEqual({ browser: 'Chromium', browser_version: '131', os: 'Windows', device: 'desktop' })
    const edge = describeClient(
      headers({ 'user-agent': 'Mozilla/5.0 (Macintosh) Chrome/131.0.0.0', 'sec-ch-ua': '"Microsoft Edge";v="131", "Not?A_Brand";v="99"', 'sec-ch-ua-platform': '"macOS"' }),
    )
    expect(edge).toMatchObject({ browser: 'Edge', browser_version: '131', os: 'Mac OS' })
  })

  it.each(['', 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0)', 'curl/8.5.0', 'HeadlessChrome/131.0.0.0'])(
    'drops %j as a bot',
    (agent) => {
      expect(describeClient(headers({ 'user-agent': agent }))).toBeNull()
    },
  )

  it('maps time zones to countries, links included, and nothing else', () => {
    expect(['Europe/Madrid', 'Atlantic/Canary', 'America/Mexico_City', 'Asia/Calcutta', 'US/Eastern', 'UTC', 'Mars/Base', undefined].map(countryOf)).toEqual([
      'ES',
      'ES',
      'MX',
      'IN',
      'US',
      '',
      '',
      '',
    ])
  })
})

describe('time zone to country, for every name a browser can report', () => {
  // CLDR's territory data as Node's ICU holds it: the time zones of each region. Region codes ICU
  // only aliases (RH for ZW, YU for RS) are skipped: und-RH is und-ZW once canonicalised.
  const cldr = new Map<string, string[]>()
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
  for (const a of letters) {
    for (const b of letters) {
      const locale = new Intl.Locale(`und-${a}${b}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] }
      if (locale.region !== a + b) continue
      for (const zone of locale.getTimeZones?.() ?? locale.timeZones ?? []) cldr.set(zone, [...(cldr.get(zone) ?? []), a + b])
    }
  }
  const names = Intl.supportedValuesOf('timeZone')
  // tzdata lists Crimea under RU first and UA second (zone1970.tab); CLDR under UA. Either is a guess.
  const DISPUTED: Record<string, string[]> = { 'Europe/Simferopol': ['RU', 'UA'] }

  it('has CLDR territory data for every supported name', () => {
    expect(names.length).toBeGreaterThan(400)
    expect(names.filter((name) => !cldr.has(name))).toEqual([])
  })

  it("gives each name CLDR's country (the four names a link once sent across a border among them)", () => {
    const wrong = names.filter((name) => !DISPUTED[name] && !cldr.get(name)!.includes(countryOf(name))).map((name) => `${name}: ${countryOf(name)}, CLDR ${cldr.get(name)}`)
    expect(wrong).toEqual([])
    expect(['Africa/Asmera', 'Pacific/Ponape', 'Pacific/Truk', 'America/Coral_Harbour'].map(countryOf)).toEqual(['ER', 'FM', 'FM', 'CA'])
    for (const [name, countries] of Object.entries(DISPUTED)) {
      expect(countries).toContain(countryOf(name))
      expect(countries).toEqual(expect.arrayContaining(cldr.get(name)!))
    }
  })
})
