import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/shared/protocol.js'
import { DEFAULT_PARAMS, referrerHost, type ScrubbedUrl, scrubPath, scrubUrl } from '../../src/shared/scrub-url.js'

const WITH_PAGE = [...DEFAULT_PARAMS, 'page']

interface UrlCase {
  name: string
  href: string
  params?: readonly string[]
  hash?: boolean
  expected: ScrubbedUrl
}

const longSlugPath = `/docs/${'section-name/'.repeat(30)}`

const urlCases: UrlCase[] = [
  // --- e-mail addresses in the path ---
  { name: 'e-mail as a path segment', href: 'https://a.org/user/jo@x.org', expected: { path: '/user/[email]' } },
  { name: 'percent-encoded @ (%40)', href: 'https://a.org/user/jo%40x.org', expected: { path: '/user/[email]' } },
  { name: 'doubly encoded @ (%2540)', href: 'https://a.org/user/jo%2540x.org', expected: { path: '/user/[email]' } },
  { name: 'upper-case e-mail between segments', href: 'https://a.org/u/JO@X.ORG/edit', expected: { path: '/u/[email]/edit' } },
  { name: 'e-mail with plus tag and sub-domains', href: 'https://a.org/user/jane.doe+news@mail.example.co.uk/settings', expected: { path: '/user/[email]/settings' } },
  { name: 'e-mail followed by a matrix parameter', href: 'https://a.org/unsubscribe/jo@x.org;jsessionid=ABC', expected: { path: '/unsubscribe/[email]' } },
  { name: 'e-mail with non-ASCII letters', href: 'https://a.org/user/jöhn@exämple.org', expected: { path: '/user/[email]' } },

  // --- phone numbers ---
  { name: 'phone, international with dashes', href: 'https://a.org/call/+1-555-123-4567', expected: { path: '/call/[phone]' } },
  { name: 'phone, brackets and encoded space', href: 'https://a.org/call/(555)%20123-4567', expected: { path: '/call/[phone]' } },
  { name: 'phone, literal spaces (encoded by the URL parser)', href: 'https://a.org/call/555 123 4567', expected: { path: '/call/[phone]' } },
  { name: 'phone, UK format', href: 'https://a.org/call/+44 20 7946 0958', expected: { path: '/call/[phone]' } },
  { name: 'phone, 10 digits without separators', href: 'https://a.org/call/0612345678', expected: { path: '/call/[phone]' } },
  // Scrubbed, though labelled [ip]: the IPv4 rule comes first and matches "06.12.34.56".
  { name: 'phone, French dotted format (labelled ip)', href: 'https://a.org/call/06.12.34.56.78', expected: { path: '/call/[ip]' } },
  { name: 'card number with spaces', href: 'https://a.org/card/4111 1111 1111 1111', expected: { path: '/card/[phone]' } },

  // --- UUIDs ---
  { name: 'UUID with dashes', href: 'https://a.org/o/123e4567-e89b-12d3-a456-426614174000', expected: { path: '/o/[uuid]' } },
  { name: 'UUID without dashes', href: 'https://a.org/o/123e4567e89b12d3a456426614174000', expected: { path: '/o/[uuid]' } },
  { name: 'upper-case UUID followed by a segment', href: 'https://a.org/o/123E4567-E89B-12D3-A456-426614174000/items', expected: { path: '/o/[uuid]/items' } },

  // --- long digit runs ---
  { name: 'five-digit order number', href: 'https://a.org/orders/12345', expected: { path: '/orders/[number]' } },
  { name: 'digit run inside a slug', href: 'https://a.org/orders/order-98765-confirm', expected: { path: '/orders/[number]' } },
  { name: 'postal code', href: 'https://a.org/zip/10115', expected: { path: '/zip/[number]' } },
  { name: 'four digits stay', href: 'https://a.org/orders/1234', expected: { path: '/orders/1234' } },

  // --- tokens ---
  { name: 'token, alternating letters and digits', href: 'https://a.org/reset/a1b2c3d4e5f6g7h8', expected: { path: '/reset/[token]' } },
  { name: 'token, base64url as `quietcount tokens create` prints it', href: 'https://a.org/reset/Qx7-kP2_zR9mWb4LtY8nVc3HdF6jSa1E', expected: { path: '/reset/[token]' } },
  { name: 'token, Salesforce id of 15 characters', href: 'https://a.org/lead/00Q5g00Abc12XyZ', expected: { path: '/lead/[token]' } },
  { name: 'e-mail with a full-width at sign', href: 'https://a.org/user/jo＠x.org', expected: { path: '/user/[email]' } },
  { name: 'e-mail with a percent-encoded full-width at sign', href: 'https://a.org/user/jo%EF%BC%A0x.org', expected: { path: '/user/[email]' } },
  { name: 'e-mail spelled with (at)', href: 'https://a.org/user/jo(at)x.org', expected: { path: '/user/[email]' } },
  { name: 'phone split by underscores', href: 'https://a.org/call/612_345_678', expected: { path: '/call/[phone]' } },
  { name: 'phone in Arabic-Indic digits', href: 'https://a.org/call/٦١٢٣٤٥٦٧٨', expected: { path: '/call/[phone]' } },
  { name: 'slug with words and a number stays', href: 'https://a.org/blog/how-to-make-a-sourdough-starter-2026', expected: { path: '/blog/how-to-make-a-sourdough-starter-2026' } },
  { name: 'campaign slug with a year stays', href: 'https://a.org/?utm_campaign=BlackFriday2026', expected: { path: '/', campaign: 'BlackFriday2026' } },
  { name: 'a control character in a campaign value is dropped', href: 'https://a.org/?utm_source=news%00letter', expected: { path: '/', source: 'newsletter' } },
  { name: 'token, JWT header', href: 'https://a.org/session/eyJhbGciOiJIUzI1NiJ9', expected: { path: '/session/[token]' } },
  { name: '15 characters with a digit stay', href: 'https://a.org/reset/abcdefghijklmn1', expected: { path: '/reset/abcdefghijklmn1' } },
  { name: 'long word without a digit stays', href: 'https://a.org/docs/internationalisation', expected: { path: '/docs/internationalisation' } },

  // --- IP addresses ---
  { name: 'IPv4 in the path', href: 'https://a.org/host/192.168.1.20', expected: { path: '/host/[ip]' } },
  { name: 'compressed IPv6 in the path', href: 'https://a.org/host/2001:db8::1', expected: { path: '/host/[ip]' } },
  { name: 'percent-encoded IPv6', href: 'https://a.org/host/2001%3Adb8%3A%3A1', expected: { path: '/host/[ip]' } },
  { name: 'full IPv6', href: 'https://a.org/host/fe80:0:0:0:1ff:fe23:4567:890a', expected: { path: '/host/[ip]' } },
  { name: 'MAC address', href: 'https://a.org/device/00:1a:2b:3c:4d:5e', expected: { path: '/device/[ip]' } },

  // --- matrix parameters ---
  { name: ';jsessionid dropped', href: 'https://a.org/cart;jsessionid=ABC123DEF456GHI789', expected: { path: '/cart' } },
  { name: 'several matrix parameters dropped mid-path', href: 'https://a.org/cart;JSESSIONID=1234;foo=bar/checkout', expected: { path: '/cart/checkout' } },

  // --- fragments ---
  { name: 'fragment dropped', href: 'https://a.org/docs#section-2', expected: { path: '/docs' } },
  { name: 'hash route dropped without hash routing', href: 'https://a.org/docs#/settings/profile', expected: { path: '/docs' } },
  { name: 'hash route kept with hash routing', href: 'https://a.org/#/settings', hash: true, expected: { path: '/#/settings' } },
  { name: 'hash route scrubbed, its query dropped', href: 'https://a.org/app#/user/jo@x.org?tab=1', hash: true, expected: { path: '/app#/user/[email]' } },
  { name: 'plain anchor dropped even with hash routing', href: 'https://a.org/#section', hash: true, expected: { path: '/' } },
  { name: 'hashbang is not a #/ route', href: 'https://a.org/#!/old', hash: true, expected: { path: '/' } },
  { name: 'digit run in a hash route', href: 'https://a.org/#/orders/123456', hash: true, expected: { path: '/#/orders/[number]' } },
  { name: 'matrix parameter in a hash route', href: 'https://a.org/#/a;jsessionid=1/b', hash: true, expected: { path: '/#/a/b' } },
  { name: 'campaign from the real query, not the route query', href: 'https://a.org/x?utm_source=n#/r?utm_source=m', hash: true, expected: { path: '/x#/r', source: 'n' } },

  // --- query parameters ---
  {
    name: 'utm_* become campaign fields, other parameters dropped',
    href: 'https://a.org/a?utm_source=news&utm_medium=email&utm_campaign=spring&x=1',
    expected: { path: '/a', source: 'news', medium: 'email', campaign: 'spring' },
  },
  { name: 'ref becomes source', href: 'https://a.org/a?ref=producthunt', expected: { path: '/a', source: 'producthunt' } },
  { name: 'e-mail in ref', href: 'https://a.org/a?ref=jo@x.org', expected: { path: '/a', source: '[email]' } },
  { name: 'encoded e-mail in utm_source', href: 'https://a.org/a?utm_source=jo%40x.org', expected: { path: '/a', source: '[email]' } },
  { name: 'utm_source wins over ref', href: 'https://a.org/a?utm_source=a&ref=b', expected: { path: '/a', source: 'a' } },
  { name: 'first of repeated parameters', href: 'https://a.org/p?utm_source=foo&utm_source=bar', expected: { path: '/p', source: 'foo' } },
  { name: 'parameter names are case-sensitive', href: 'https://a.org/p?UTM_SOURCE=foo', expected: { path: '/p' } },
  { name: 'blank campaign value dropped', href: 'https://a.org/pricing?utm_source=%20%20', expected: { path: '/pricing' } },
  { name: 'long campaign clipped', href: `https://a.org/x?utm_campaign=${'z'.repeat(100)}`, expected: { path: '/x', campaign: 'z'.repeat(LIMITS.campaign) } },
  { name: 'sign-up form in the query', href: 'https://a.org/join?name=Jane+Doe&email=jane%40example.org', expected: { path: '/join' } },
  { name: 'search query dropped', href: 'https://a.org/search?q=jo@x.org', expected: { path: '/search' } },
  { name: 'custom allowlisted parameter kept in the path', href: 'https://a.org/list?page=2&sort=new', params: WITH_PAGE, expected: { path: '/list?page=2' } },
  // The placeholder is URL-encoded in the query (it decodes to [email]): not a leak, see report.
  { name: 'custom allowlisted parameter holding an e-mail', href: 'https://a.org/list?page=jo@x.org', params: WITH_PAGE, expected: { path: '/list?page=[email]' } },
  { name: 'custom allowlisted parameter holding a number', href: 'https://a.org/list?page=12345', params: WITH_PAGE, expected: { path: '/list?page=[number]' } },
  { name: 'empty allowlisted parameter dropped', href: 'https://a.org/list?page=', params: WITH_PAGE, expected: { path: '/list' } },
  { name: 'no allowlist: campaign dropped too', href: 'https://a.org/a?utm_source=news', params: [], expected: { path: '/a' } },

  // --- credentials, ports, case, relative ---
  { name: 'credentials in the URL', href: 'https://user:pass@a.org/', expected: { path: '/' } },
  { name: 'e-mail as URL user name', href: 'https://jo%40x.org:secret@a.org/account', expected: { path: '/account' } },
  { name: 'port', href: 'https://a.org:8443/shop', expected: { path: '/shop' } },
  { name: 'upper-case scheme and host, path case kept', href: 'HTTPS://A.ORG/Shop', expected: { path: '/Shop' } },
  { name: 'relative URL', href: '/relative/path?x=1', expected: { path: '/relative/path' } },
  { name: 'dot segments resolved', href: 'https://a.org/../../etc/passwd', expected: { path: '/etc/passwd' } },

  // --- length and unicode ---
  { name: 'very long path clipped', href: `https://a.org${longSlugPath}`, expected: { path: longSlugPath.slice(0, LIMITS.path) } },
  { name: 'e-mail beyond the clip', href: `https://a.org/${'abc/'.repeat(60)}jo@x.org`, expected: { path: `/${'abc/'.repeat(60)}`.slice(0, LIMITS.path) } },
  { name: 'accented path', href: 'https://a.org/café/naïve', expected: { path: '/caf%C3%A9/na%C3%AFve' } },
  { name: 'Japanese path', href: 'https://a.org/日本語/ページ', expected: { path: '/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8' } },
  { name: 'emoji path', href: 'https://a.org/emoji/🎉', expected: { path: '/emoji/%F0%9F%8E%89' } },
  { name: 'encoded slash stays', href: 'https://a.org/a%2Fb', expected: { path: '/a%2Fb' } },
  { name: 'malformed escape stays', href: 'https://a.org/p/%', expected: { path: '/p/%' } },

  // --- must stay readable ---
  { name: 'ISO date', href: 'https://a.org/blog/2026-11-23/title', expected: { path: '/blog/2026-11-23/title' } },
  { name: 'year and month', href: 'https://a.org/blog/2026/11/hello-world', expected: { path: '/blog/2026/11/hello-world' } },
  { name: 'short id', href: 'https://a.org/page/42', expected: { path: '/page/42' } },
  { name: 'version segment', href: 'https://a.org/v2/api', expected: { path: '/v2/api' } },
  { name: 'slug with a size', href: 'https://a.org/products/red-running-shoes-size-42', expected: { path: '/products/red-running-shoes-size-42' } },
  { name: 'three-part version', href: 'https://a.org/releases/1.2.3', expected: { path: '/releases/1.2.3' } },
  { name: 'clock time', href: 'https://a.org/time/12:30', expected: { path: '/time/12:30' } },
  { name: 'public profile handle', href: 'https://a.org/@jo', expected: { path: '/@jo' } },
  { name: 'root', href: 'https://a.org/', expected: { path: '/' } },
]

describe('scrubUrl', () => {
  it.each(urlCases)('$name', ({ href, params, hash, expected }) => {
    expect(scrubUrl(href, params, hash)).toEqual(expected)
  })

  it('has a large table', () => {
    expect(urlCases.length).toBeGreaterThanOrEqual(45)
  })

  it('never returns a path longer than LIMITS.path', () => {
    for (const { href, params, hash } of urlCases) expect(scrubUrl(href, params, hash).path.length).toBeLessThanOrEqual(LIMITS.path)
  })

  // BUG: a malformed escape anywhere in a segment makes decodeURIComponent throw, so the segment
  // is checked undecoded, and the rule's `%40` alternative does not see `%2540`.
  it('scrubs a doubly encoded e-mail even when the segment also holds a malformed escape', () => {
    expect(scrubUrl('https://a.org/user/jo%2540x.org%')).toEqual({ path: '/user/[email]' })
  })

  // BUG: the query is clipped with the path, leaving "…?" (or "…&"), which parseBeacon refuses.
  it('does not leave a dangling "?" when an allowlisted query does not fit', () => {
    // "/" + 198 characters + "?page=2" is clipped to ".../xxx?"; "/" + 191 + "?page=2&sort=new" to "...?page=2&"
    for (const length of [198, 191]) {
      const out = scrubUrl(`https://a.org/${'x'.repeat(length)}?page=2&sort=new`, [...WITH_PAGE, 'sort'])
      expect(out.path).not.toMatch(/[?&]$/)
    }
  })
})

describe('scrubPath', () => {
  const pathnames = urlCases.map(({ href }) => new URL(href, 'http://localhost').pathname)

  it.each(pathnames)('is idempotent for %s', (pathname) => {
    const once = scrubPath(pathname)
    expect(scrubPath(once)).toBe(once)
  })

  it.each(urlCases)('leaves the scrubbed path of "$name" unchanged', ({ href, params, hash }) => {
    const { path } = scrubUrl(href, params, hash)
    expect(scrubPath(path)).toBe(path)
  })
})

interface RefCase {
  name: string
  referrer: string
  own?: string
  expected: string | undefined
}

const refCases: RefCase[] = [
  { name: 'empty (direct traffic)', referrer: '', expected: undefined },
  { name: 'search engine, www. dropped, query ignored', referrer: 'https://www.google.com/search?q=jo@x.org', expected: 'google.com' },
  { name: 'plain host', referrer: 'https://duckduckgo.com/', expected: 'duckduckgo.com' },
  { name: 'own host', referrer: 'https://example.org/pricing', expected: undefined },
  { name: 'own host with www.', referrer: 'https://www.example.org/', expected: undefined },
  { name: 'own host upper-case', referrer: 'https://EXAMPLE.ORG/', expected: undefined },
  { name: 'own host, own host given with www.', referrer: 'https://example.org/', own: 'www.example.org', expected: undefined },
  { name: 'www. referrer, own host given with www.', referrer: 'https://www.example.org/', own: 'www.example.org', expected: undefined },
  { name: 'own host with a trailing dot', referrer: 'https://example.org./', expected: undefined },
  { name: 'own sub-domain is external', referrer: 'https://blog.example.org/', expected: 'blog.example.org' },
  { name: 'look-alike host', referrer: 'https://example.org.evil.com/', expected: 'example.org.evil.com' },
  { name: 'IPv4', referrer: 'http://192.168.0.1/admin', expected: '[ip]' },
  { name: 'IPv4 with port', referrer: 'http://10.0.0.1:3000/x', expected: '[ip]' },
  { name: 'IPv6 with port', referrer: 'http://[2001:db8::1]:8080/', expected: '[ip]' },
  { name: 'IPv4 as one hex number', referrer: 'http://0x7f000001/', expected: '[ip]' },
  { name: 'IPv4 as one decimal number', referrer: 'http://2130706433/', expected: '[ip]' },
  { name: 'short IPv4', referrer: 'http://127.1/', expected: '[ip]' },
  { name: 'javascript: URL', referrer: 'javascript:alert(1)', expected: undefined },
  { name: 'data: URL', referrer: 'data:text/html,hi', expected: undefined },
  { name: 'about:blank', referrer: 'about:blank', expected: undefined },
  { name: 'file: URL', referrer: 'file:///home/jo/x.html', expected: undefined },
  { name: 'blob: URL', referrer: 'blob:https://x.com/0c1c6bd1-1d5d-4f1b-9e3f-2d5d2f4a7c11', expected: undefined },
  { name: 'not a URL', referrer: 'not a url', expected: undefined },
  { name: 'credentials dropped', referrer: 'https://user:pass@news.ycombinator.com/item?id=1', expected: 'news.ycombinator.com' },
  { name: 'upper-case host and port', referrer: 'https://News.YCombinator.com:443/', expected: 'news.ycombinator.com' },
  { name: 'only one www. dropped', referrer: 'https://www.www.reddit.com/', expected: 'www.reddit.com' },
  { name: 'IDN host as punycode', referrer: 'https://bücher.example/', expected: 'xn--bcher-kva.example' },
  { name: 'host with an underscore is not a host', referrer: 'https://a_b.example.com/', expected: undefined },
  { name: 'Android app referrer', referrer: 'android-app://com.google.android.gm/', expected: 'com.google.android.gm' },
  { name: 'localhost', referrer: 'http://localhost:8080/', expected: 'localhost' },
  // Hosts that are or embed an address are [ip]; a personal label is dropped with the labels before it.
  { name: 'IPv4 embedded with dots (nip.io)', referrer: 'http://10.1.2.3.nip.io/', expected: '[ip]' },
  { name: 'IPv4 embedded with dashes (sslip.io)', referrer: 'http://10-1-2-3.sslip.io/', expected: '[ip]' },
  { name: 'IPv4 with dashes in a longer label', referrer: 'http://app-192-168-1-1.sslip.io/', expected: '[ip]' },
  { name: 'IPv6 with dashes (sslip.io)', referrer: 'http://2a01-4f8-c17-b8f--2.sslip.io/', expected: '[ip]' },
  { name: 'phone number as a label', referrer: 'https://34612345678.example.com/', expected: 'example.com' },
  { name: 'token as a label (a tunnel)', referrer: 'https://Qx7kP2zR9mWb4LtY8nVc.ngrok.io/', expected: 'ngrok.io' },
  { name: 'punycode label stays', referrer: 'https://xn--80ak6aa92e.com/', expected: 'xn--80ak6aa92e.com' },
]

describe('referrerHost', () => {
  it.each(refCases)('$name', ({ referrer, own = 'example.org', expected }) => {
    expect(referrerHost(referrer, own)).toBe(expected)
  })

  it('has a large table', () => {
    expect(refCases.length).toBeGreaterThanOrEqual(15)
  })

  it('keeps a host of LIMITS.host characters', () => {
    // Labels of one repeated letter: a label of 32 hex letters ('a' repeated) would be a UUID.
    const host = `${'x'.repeat(63)}.`.repeat(3) + 'y'.repeat(61)
    expect(host.length).toBe(LIMITS.host)
    expect(referrerHost(`https://${host}/`, 'example.org')).toBe(host)
  })
})
