import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescriptPlugin from '@rollup/plugin-typescript'
import typescript from 'typescript'

// Type checking is `npm run typecheck`'s job; here TypeScript only strips types.
const ts = () => typescriptPlugin({ tsconfig: './tsconfig.build.json', declaration: false, declarationDir: undefined, noEmitOnError: true })

const minify = () =>
  terser({
    ecma: 2020,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
    mangle: { properties: false },
    format: { comments: false },
  })

/**
 * The tracker's opt-in features in file-name order, read from their one list in
 * src/browser/features.ts (`['not-found', 'notFound']`), each with its flag there (NOT_FOUND).
 */
const FEATURES = [...readFileSync('src/browser/features.ts', 'utf8').matchAll(/^ {2}\['([a-z-]+)', '\w+'\],$/gm)].map(([, name]) => [name, name.toUpperCase().replace('-', '_')])
if (FEATURES.length !== 4) throw new Error(`src/browser/features.ts lists ${FEATURES.length} features; rollup.config.mjs reads them as ['name', 'key'], one per line`)
/** Every combination of them, the empty one (the core) first. */
const VARIANTS = Array.from({ length: 2 ** FEATURES.length }, (_, bits) => FEATURES.filter((_, i) => bits & (1 << i)))

/**
 * Turns off in features.ts the flags of the features a variant leaves out, before Rollup sees
 * the code: it then drops their branches, and the minifier what they alone used.
 */
const withFeatures = (features) => ({
  name: 'features',
  transform(code, id) {
    if (!id.endsWith('/src/browser/features.ts')) return null
    for (const [name, flag] of FEATURES) {
      const on = `export const ${flag} = true`
      if (!code.includes(on)) this.error(`src/browser/features.ts no longer says "${on}"`)
      if (!features.some(([n]) => n === name)) code = code.replace(on, `export const ${flag} = false`)
    }
    return { code, map: null }
  },
})

/**
 * TypeScript to JavaScript one file at a time (no program, no type check: that is `npm run
 * typecheck`'s job), so that the 32 script variants build in seconds rather than minutes.
 */
const transpile = () => ({
  name: 'transpile',
  // Sources import each other as `./x.js`, as Node's module resolution wants; the file is `./x.ts`.
  resolveId(source, importer) {
    if (importer?.endsWith('.ts') && source.startsWith('.') && source.endsWith('.js')) return resolve(dirname(importer), source.replace(/\.js$/, '.ts'))
    return null
  },
  transform(code, id) {
    if (!id.endsWith('.ts')) return null
    // The variants share their files: each is transpiled once (features.ts once per flag set).
    const key = `${id}\n${code}`
    const done = transpiled.get(key)
    if (done) return done
    const { outputText, sourceMapText } = typescript.transpileModule(code, {
      fileName: id,
      compilerOptions: { target: typescript.ScriptTarget.ES2022, module: typescript.ModuleKind.ESNext, sourceMap: true, inlineSources: true },
    })
    const result = { code: outputText.replace(/\/\/# sourceMappingURL=.*$/, ''), map: sourceMapText }
    transpiled.set(key, result)
    return result
  },
})
const transpiled = new Map()

/**
 * A `<script>` entry in every variant: one minified IIFE each, js-cookie inlined. `dist/BASE.js`
 * is the core; `dist/BASE.outbound.downloads.js` and so on have the features they name.
 */
const script = (input, base, besideCore = []) =>
  VARIANTS.map((features) => ({
    input,
    output: { file: `dist/${[base, ...features.map(([name]) => name)].join('.')}.js`, format: 'iife', sourcemap: true },
    plugins: [nodeResolve(), withFeatures(features), transpile(), minify(), ...(features.length ? [] : besideCore)],
  }))

/** Emits files next to a bundle: the dashboard's page, and its stylesheet after uPlot's. */
const assets = (files) => ({
  name: 'assets',
  generateBundle() {
    for (const [fileName, sources] of Object.entries(files)) this.emitFile({ type: 'asset', fileName, source: sources.map((f) => readFileSync(f, 'utf8')).join('\n') })
  },
})

/** The consent manager's fetched languages, beside the scripts: dist/lang/de.json, minified. */
const LANGUAGES = 'src/browser/consent/languages'
const languages = () => ({
  name: 'languages',
  generateBundle() {
    for (const file of readdirSync(LANGUAGES)) {
      this.emitFile({ type: 'asset', fileName: `lang/${file}`, source: JSON.stringify(JSON.parse(readFileSync(join(LANGUAGES, file), 'utf8'))) })
    }
  },
})

const builds = [
  ...script('src/browser/script.ts', 'quietcount-tracker'),
  // The tracker behind QuietCount's consent manager.
  ...script('src/browser/script-with-consent.ts', 'quietcount', [languages()]),
  {
    // The npm build: readable ESM with js-cookie left as a dependency, for the app's bundler.
    input: { index: 'src/browser/index.ts', protocol: 'src/shared/index.ts' },
    external: ['js-cookie'],
    output: { dir: 'dist/esm', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: '[name].js' },
    plugins: [ts()],
  },
  // The dashboard's first script: sends a view's stats requests while the bundle below is parsed.
  { input: 'src/dashboard/prefetch.ts', output: { file: 'dist/dashboard/prefetch.js', format: 'iife' }, plugins: [ts(), minify()] },
  {
    // The dashboard page, uPlot bundled in; no request leaves the collector's origin.
    input: 'src/dashboard/app.ts',
    output: { file: 'dist/dashboard/dashboard.js', format: 'iife', sourcemap: true },
    plugins: [
      nodeResolve(),
      ts(),
      minify(),
      assets({ 'index.html': ['src/dashboard/index.html'], 'dashboard.css': ['node_modules/uplot/dist/uPlot.min.css', 'src/dashboard/dashboard.css'] }),
    ],
  },
]

/**
 * `--environment PART:i/n` builds every n-th of them from the i-th, so that scripts/build.mjs can
 * run the parts side by side (the 32 minified script variants are most of the build's time).
 */
const [part, parts] = (process.env.PART ?? '0/1').split('/').map(Number)
export default builds.filter((_, i) => i % parts === part)
