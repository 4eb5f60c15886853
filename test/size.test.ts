import { readdirSync, readFileSync } from 'node:fs'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { FEATURES } from '../src/browser/features.js'

// What ships is measured: the built, minified files in dist/ (npm test builds them first).
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { sizeBudgets: Record<string, number> }
const files = Object.keys(pkg.sizeBudgets).filter((key) => key.startsWith('dist/') && !key.includes('*'))
const gzip = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length
const brotli = (file: string) => brotliCompressSync(readFileSync(file), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
const readme = readFileSync('README.md', 'utf8')

describe.each(files)('%s', (file) => {
  it(`stays within its budget of ${pkg.sizeBudgets[file]} bytes gzipped`, () => {
    expect(gzip(file)).toBeLessThanOrEqual(pkg.sizeBudgets[file]!)
  })

  it('is quoted in the README as measured (within 16 bytes), with its budget', () => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${file}\``))
    expect(row, `README.md has no size row for ${file}`).toBeDefined()
    const [gz, br, budget] = row!
      .split('|')
      .slice(2, 5)
      .map((cell) => Number(cell.replace(/[^\d]/g, '')))
    expect(Math.abs(gz! - gzip(file))).toBeLessThanOrEqual(16)
    expect(Math.abs(br! - brotli(file))).toBeLessThanOrEqual(16)
    expect(budget).toBe(pkg.sizeBudgets[file])
  })
})

// Every build variant of the two scripts (rollup.config.mjs): within its fullest variant's budget,
// and in the README's table of variants as measured.
const names = FEATURES.map(([name]) => name)
const FULLEST = `.${names.join('.')}.js`
const variants = readdirSync('dist')
  .filter((name) => new RegExp(`^quietcount(-tracker)?(\\.(${names.join('|')}))*\\.js$`).test(name))
  .map((name) => `dist/${name}`)
it(`builds every combination of the opt-in features for both scripts (2 × ${2 ** names.length} files)`, () => {
  expect(variants).toHaveLength(2 * 2 ** names.length)
})
describe.each(variants)('%s', (file) => {
  const family = file.startsWith('dist/quietcount-tracker') ? 'dist/quietcount-tracker' : 'dist/quietcount'
  it('stays within the budget of its fullest variant', () => {
    expect(gzip(file)).toBeLessThanOrEqual(pkg.sizeBudgets[family + FULLEST]!)
  })
  it('is quoted in the README as measured (within 16 bytes)', () => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${file}\` |`))
    expect(row, `README.md has no size row for ${file}`).toBeDefined()
    const [gz, br] = row!
      .split('|')
      .slice(2, 4)
      .map((cell) => Number(cell.replace(/[^\d]/g, '')))
    expect(Math.abs(gz! - gzip(file))).toBeLessThanOrEqual(16)
    expect(Math.abs(br! - brotli(file))).toBeLessThanOrEqual(16)
  })
})

// The browser scripts a site embeds; the dashboard, a page of the collector, keeps its token in sessionStorage.
describe.each(variants)('%s', (file) => {
  it('never reads the user-agent string, form fields or storage beyond its own switch', () => {
    const code = readFileSync(file, 'utf8')
    expect(code.match(/userAgent|\.elements\b|FormData|HTMLInputElement|sessionStorage|indexedDB|\.value\s*\)/g)).toBeNull()
    expect(code.match(/"quietcount_\w+"/g)).toEqual(['"quietcount_exclude"'])
  })
})

it('keeps the dashboard page, script and stylesheet together under 60 KB gzipped (issue 5)', () => {
  const total = ['dist/dashboard/prefetch.js', 'dist/dashboard/dashboard.js', 'dist/dashboard/dashboard.css', 'dist/dashboard/index.html'].reduce(
    (sum, file) => sum + gzip(file),
    0,
  )
  expect(total).toBeLessThan(60 * 1024)
})
