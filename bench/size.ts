import { readFileSync } from 'node:fs'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import { minify } from 'terser'

/**
 * Bundle size: what a site ships, compressed as a server would (gzip -9, brotli 11), for
 * QuietCount's two scripts and for the peers a site would pick instead. Peer code is only
 * measured here, never shipped.
 */

const gzip = (code: string) => gzipSync(code, { level: 9 }).length
const brotli = (code: string) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
const file = (path: string) => readFileSync(path, 'utf8')

/** plausible-tracker from npm, bundled as a site would: auto page views and outbound links. */
async function plausibleBundle() {
  const entry =
    "import Plausible from 'plausible-tracker'\nconst p = Plausible({ domain: 'bench.test', apiHost: '' })\np.enableAutoPageviews()\np.enableAutoOutboundTracking()\nwindow.plausible = p.trackEvent\n"
  const bundle = await rollup({
    input: 'entry',
    plugins: [{ name: 'entry', resolveId: (id) => (id === 'entry' ? id : null), load: (id) => (id === 'entry' ? entry : null) }, nodeResolve()],
  })
  const { output } = await bundle.generate({ format: 'iife' })
  await bundle.close()
  return (await minify(output[0].code, { ecma: 2020, compress: { passes: 3 }, format: { comments: false } })).code!
}

export interface SizeRow {
  name: string
  files: string
  gzip: number
  brotli: number
}

export async function measureSizes(): Promise<{ rows: SizeRow[]; plausible: string }> {
  const plausible = await plausibleBundle()
  const parts: Record<string, { files: string; code: string }> = {
    tracker: { files: 'dist/quietcount-tracker.js', code: file('dist/quietcount-tracker.js') },
    full: { files: 'dist/quietcount.js', code: file('dist/quietcount.js') },
    plausible: { files: 'plausible-tracker (npm), bundled with auto page views + outbound links, terser', code: plausible },
    cookieconsentJs: { files: 'vanilla-cookieconsent dist/cookieconsent.umd.js', code: file('node_modules/vanilla-cookieconsent/dist/cookieconsent.umd.js') },
    cookieconsentCss: { files: 'vanilla-cookieconsent dist/cookieconsent.css', code: file('node_modules/vanilla-cookieconsent/dist/cookieconsent.css') },
    klaro: { files: 'klaro dist/klaro.js (CSS and translations inside)', code: file('node_modules/klaro/dist/klaro.js') },
  }
  // Each file is compressed on its own, as it is served; a pair ships as two files.
  const size = (...names: string[]) => ({ gzip: names.reduce((s, n) => s + gzip(parts[n]!.code), 0), brotli: names.reduce((s, n) => s + brotli(parts[n]!.code), 0) })
  const rows: SizeRow[] = [
    { name: 'QuietCount tracker', files: parts.tracker!.files, ...size('tracker') },
    { name: 'Plausible tracker', files: parts.plausible!.files, ...size('plausible') },
    { name: 'QuietCount tracker + consent (one file)', files: parts.full!.files, ...size('full') },
    { name: 'vanilla-cookieconsent alone', files: 'dist/cookieconsent.umd.js + cookieconsent.css', ...size('cookieconsentJs', 'cookieconsentCss') },
    { name: 'klaro alone', files: parts.klaro!.files, ...size('klaro') },
    { name: 'Plausible + vanilla-cookieconsent', files: 'the two above', ...size('plausible', 'cookieconsentJs', 'cookieconsentCss') },
    { name: 'Plausible + klaro', files: 'the two above', ...size('plausible', 'klaro') },
  ]
  return { rows, plausible }
}
