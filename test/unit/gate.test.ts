import { describe, expect, it } from 'vitest'
import { describeClient } from '../../src/collector/ingest/enrich.js'
import { gate, gateAttribute } from '../../src/shared/gate.js'

// The one gate of every door (src/shared/gate.ts): per dimension, what is stored or why not.
const cases: [dimension: Parameters<typeof gate>[0], value: string, stored: string | { refused: string }][] = [
  // paths: scrubbed segment by segment, clipped, well-formed
  ['path', '/user/jo@x.org', '/user/[email]'],
  ['path', '/user/jo%EF%BC%A0x.org/edit', '/user/[email]/edit'],
  ['path', '/call/612_345_678', '/call/[phone]'],
  ['path', '/reset/Qx7-kP2_zR9mWb4LtY8nVc3HdF6jSa1E', '/reset/[token]'],
  ['path', '/list?page=jo@x.org', '/list?page=[email]'],
  ['path', `/${'é'.repeat(198)}😀`, `/${'é'.repeat(198)}\uFFFD`], // clipped inside the emoji: no lone surrogate is stored
  ['path', '/a\ud800b', '/a\uFFFDb'],
  ['path', '', ''], // an event on no page (imports)
  ['path', 'no-slash', { refused: 'must start with "/"' }],
  ['path', '/a#top', { refused: 'must not carry a fragment (only a "#/route" of hash routing)' }],
  ['path', '/a\u0000', { refused: 'must not contain control characters (U+0000 to U+001F, U+007F)' }],
  // referrer hosts: addresses are [ip], a personal label goes with the labels before it
  ['referrer', 'news.example', 'news.example'],
  ['referrer', '0xc0a80101', '[ip]'],
  ['referrer', '3232235777', '[ip]'],
  ['referrer', '10.1.2.3.nip.io', '[ip]'],
  ['referrer', '10-1-2-3.sslip.io', '[ip]'],
  ['referrer', '2001-db8--1.sslip.io', '[ip]'],
  ['referrer', '34612345678.example.com', 'example.com'],
  ['referrer', 'jo.34612345678.example.com', 'example.com'],
  ['referrer', 'not a host', ''],
  // campaign values: their placeholder
  ['campaign', 'spring', 'spring'],
  ['campaign', 'jane%EF%BC%A0example.org', '[email]'],
  ['source', 'Qx7kP2zR9mWb4LtY8nVc3H', '[token]'],
  ['medium', 'x'.repeat(100), 'x'.repeat(64)],
  // browser and OS names: plain short names, else Unknown; versions of 1 to 4 digits, else none
  ['browser', 'Chrome', 'Chrome'],
  ['browser', '360 Browser', '360 Browser'],
  ['browser', 'jane.doe@example.org', 'Unknown'],
  ['os', 'jane.doe@example.org', 'Unknown'],
  ['os', 'Call 612 345 678', 'Unknown'],
  ['os', 'Mac OS', 'Mac OS'],
  ['browser_version', '131', '131'],
  ['browser_version', '5551234567', ''],
  ['browser_version', '12a', ''],
  // event names, props and consent categories that look personal are refused
  ['name', 'Signup', 'Signup'],
  ['name', 'Call 612 345 678', { refused: 'looks like personal data (phone)' }],
  ['name', 'Ref 001Dn0aBc9XyZ12', { refused: 'looks like personal data (token)' }],
  ['prop', 'plan=pro', 'plan=pro'],
  ['prop', 'url=192.168.1.1/admin', { refused: 'prop "url" looks like personal data (ip)' }],
  ['prop', 'user=jane', { refused: 'prop "user" looks like personal data (key)' }],
  ['prop', 'login=x', { refused: 'prop "login" looks like personal data (key)' }],
  ['category', 'analytics:granted', 'analytics:granted'],
  ['category', 'user612345678:refused', { refused: 'looks like personal data (phone)' }],
  ['category', 'necessary:granted', { refused: 'key must match /^[a-z][a-z0-9_-]{0,23}$/ and not be "necessary" (stored as key:granted or key:refused)' }],
  // closed sets
  ['country', 'ES', 'ES'],
  ['country', 'Spain', { refused: 'must be an ISO 3166 alpha-2 code (two capital letters) or empty' }],
  ['screen', 'laptop', 'laptop'],
  ['device', 'fridge', { refused: 'must be one of "", "mobile", "tablet", "desktop"' }],
  ['decision', 'custom', 'custom'],
  ['total', '', ''],
]

describe('gate', () => {
  it.each(cases)('%s %j -> %j', (dimension, value, stored) => {
    expect(gate(dimension, value)).toEqual(stored)
  })

  it('gates a marginal attribute with its parent, each by its own rule', () => {
    expect(gateAttribute('prop', 'Signup', 'plan=pro')).toEqual({ parent: 'Signup', value: 'plan=pro' })
    expect(gateAttribute('prop', 'Call 612 345 678', 'plan=pro')).toEqual({ refused: 'looks like personal data (phone)', value: 'Call 612 345 678' })
    expect(gateAttribute('browser_version', 'jane.doe@example.org', '120')).toEqual({ parent: 'Unknown', value: '120' })
    expect(gateAttribute('path', 'x', '/')).toEqual({ refused: 'must have no parent', value: 'x' })
  })
})

describe('the user-agent door', () => {
  it('keeps a version of 1 to 4 digits only, as Client Hints are capped', () => {
    const agent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/5551234567.0 Safari/537.36'
    expect(describeClient(new Headers({ 'user-agent': agent }))).toMatchObject({ browser: 'Chrome', browser_version: '', os: 'Linux' })
  })
})
