import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { cookieDeclaration } from '../../src/browser/cookie-declaration.js'
import { LIMITS } from '../../src/shared/protocol.js'

// Documentation that quotes code is checked against it, so the two cannot drift.
it('docs/privacy.md lists exactly the declared cookies, as cookieDeclaration() says', () => {
  const rows = readFileSync('docs/privacy.md', 'utf8')
    .split('\n')
    .filter((line) => /^\| `/.test(line))
  expect(rows).toEqual(cookieDeclaration().map((c) => `| \`${c.name}\` | ${c.category} | ${c.purpose} | ${c.lifetime} | ${c.contents} |`))
})

it('docs/protocol.md quotes the limits in force', () => {
  const doc = readFileSync('docs/protocol.md', 'utf8')
  expect(doc).toContain(`at most **${LIMITS.beaconBytes.toLocaleString('en')} bytes**`)
  expect(doc).toContain(`The record limit of ${LIMITS.records}`)
  expect(doc).toContain(`hold 1 to ${LIMITS.records} records`)
})

it('README documents every data-* attribute the tracker reads', () => {
  const readme = readFileSync('README.md', 'utf8')
  const source = readFileSync('src/browser/tracker.ts', 'utf8')
  const options = [...source.matchAll(/^ {2}(\w+)\?: /gm)].map((m) => m[1]!).filter((o) => o !== 'collector' && o !== 'flushDelay')
  expect(options.length).toBeGreaterThan(10)
  for (const option of ['site', 'collector', ...options]) {
    expect(readme, `README lacks data-${option}`).toContain(`\`data-${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}\``)
  }
})
