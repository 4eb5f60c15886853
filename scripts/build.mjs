// npm run build: Rollup in two parts side by side (rollup.config.mjs, PART), and the two
// TypeScript emits (types and the Node code) beside them; fails if any of them fails.
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'

const parts = Math.max(2, Math.min(4, availableParallelism()))
const bin = (name) => `node_modules/.bin/${name}`
const jobs = [
  ...Array.from({ length: parts }, (_, i) => [bin('rollup'), ['-c', '--silent', '--environment', `PART:${i}/${parts}`]]),
  [bin('tsc'), ['-p', 'tsconfig.build.json']],
  [bin('tsc'), ['-p', 'tsconfig.node.json']],
]
const codes = await Promise.all(
  jobs.map(([command, args]) => new Promise((resolve) => spawn(command, args, { stdio: 'inherit' }).on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))))),
)
const failed = jobs.filter((_, i) => codes[i] !== 0)
if (failed.length) {
  console.error(`build failed: ${failed.map(([command, args]) => `${command} ${args.join(' ')}`).join('; ')}`)
  process.exit(1)
}
