import { readFileSync } from 'node:fs'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'

// Type checking is `npm run typecheck`'s job; here TypeScript only strips types.
const ts = () => typescript({ tsconfig: './tsconfig.build.json', declaration: false, declarationDir: undefined, noEmitOnError: true })

const minify = () =>
  terser({
    ecma: 2020,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
    mangle: { properties: false },
    format: { comments: false },
  })

/** A `<script>` build: one minified IIFE with js-cookie inlined. */
const script = (input, file) => ({
  input,
  output: { file, format: 'iife', sourcemap: true },
  plugins: [nodeResolve(), ts(), minify()],
})

/** Emits files next to a bundle: the dashboard's page, and its stylesheet after uPlot's. */
const assets = (files) => ({
  name: 'assets',
  generateBundle() {
    for (const [fileName, sources] of Object.entries(files)) this.emitFile({ type: 'asset', fileName, source: sources.map((f) => readFileSync(f, 'utf8')).join('\n') })
  },
})

export default [
  script('src/browser/script.ts', 'dist/quietcount-tracker.js'),
  // The tracker behind QuietCount's consent manager.
  script('src/browser/script-with-consent.ts', 'dist/quietcount.js'),
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
