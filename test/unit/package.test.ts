import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { describe, expect, it } from 'vitest'

// The package as npm users get it: the exports map, the types, and an import in plain Node
// (where server-side rendering would call it) that must be harmless.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const node = (code: string) => execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim()

describe('package', () => {
  it('points every export at a file that the build produced', () => {
    for (const [entry, target] of Object.entries<string | Record<string, string>>(pkg.exports)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
        // A pattern (`./dist/lang/*.json`) must match built files: its folder holds some of that ending.
        if (file.includes('*')) {
          const [folder, ending] = [dirname(file), basename(file).replace('*', '')]
          expect(existsSync(folder) && readdirSync(folder).some((name) => name.endsWith(ending)), `${entry} -> ${file}`).toBe(true)
        } else expect(existsSync(file), `${entry} -> ${file}`).toBe(true)
      }
    }
  })

  it('resolves a consent language file through the exports map', () => {
    expect(node(`import de from 'quietcount/lang/de.json' with { type: 'json' }; console.log(de.accept)`)).toBe('Alle akzeptieren')
  })

  it('imports by name in Node, and the tracker is inert where there is no document', () => {
    const out = node(`
      import { createTracker, cookieDeclaration } from 'quietcount'
      import { parseBeacon, LIMITS } from 'quietcount/protocol'
      const t = createTracker({ site: 'example.test' })
      console.log(JSON.stringify([t.track('x'), t.consent(true), t.flush(), cookieDeclaration().length, LIMITS.records, parseBeacon('{}').ok]))
    `)
    expect(JSON.parse(out)).toEqual([false, false, false, 2, 15, false])
  })

  it('imports the consent manager in Node, where it shows nothing and grants only necessary', () => {
    const out = node(`
      import { createConsent } from 'quietcount'
      const c = createConsent({ categories: [{ id: 'media' }] })
      c.acceptAll()
      console.log(JSON.stringify([c.granted('necessary'), c.granted('analytics'), c.decided()]))
    `)
    expect(JSON.parse(out)).toEqual([true, false, false])
  })

  it('is side-effect free and MIT licensed; the browser build imports nothing but js-cookie', () => {
    expect(pkg.sideEffects).toBe(false)
    expect(pkg.license).toBe('MIT')
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/^MIT License/)
    const imports = [...readFileSync('dist/esm/index.js', 'utf8').matchAll(/^import .* from '([^'.][^']*)'/gm)].map((m) => m[1])
    expect(imports).toEqual(['js-cookie'])
  })
})
