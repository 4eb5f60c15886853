import { defineConfig } from 'vitest/config'

// Unit tests pick happy-dom per file (`// @vitest-environment happy-dom`); browser tests drive
// Debian's Chromium through playwright-core from Node and need the build in dist/ (npm test
// builds first) plus the binary, which test/browser/setup.ts provisions.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/browser/setup.ts', 'test/services/setup.ts'],
    // Most test files wait on servers, browsers and child processes rather than compute: three
    // at a time on a 2-core machine (vitest's default would be one) keeps CI near 7 minutes.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
