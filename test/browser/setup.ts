import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { TestProject } from 'vitest/node'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Makes sure Debian's Chromium is there for the browser tests, installing it with apt-get when
 * this machine allows (root, Debian). Where it cannot be had, the browser tests are skipped and
 * say so, except under CI=true, where a missing browser fails the run with its name.
 */
export default function setup(project: TestProject) {
  let missing = ''
  if (!existsSync(CHROMIUM)) {
    const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
    if (canInstall) {
      console.log('[setup] Chromium missing: installing Debian package "chromium" with apt-get ...')
      try {
        execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
        execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      } catch (error) {
        console.error(`[setup] apt-get install chromium failed: ${(error as Error).message}`)
      }
    }
    if (!existsSync(CHROMIUM)) {
      missing = `Chromium not found at ${CHROMIUM} and could not be installed (install the Debian package "chromium", or set CHROMIUM_PATH)`
      if (process.env.CI === 'true') throw new Error(`[setup] ${missing}`)
      console.warn(`[setup] ${missing}: browser tests will be SKIPPED`)
    }
  }
  if (!existsSync('dist/quietcount-tracker.js')) {
    throw new Error('[setup] dist/ is missing: run "npm run build" first (npm test does)')
  }
  project.provide('chromiumMissing', missing)
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumMissing: string
  }
}
