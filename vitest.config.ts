import { defineConfig } from 'vitest/config'

// One project per kind of test, each given only the setup it needs (`vitest run --project unit`):
//
// - unit: pure modules, happy-dom per file (`// @vitest-environment happy-dom`), and the size of
//   the built files. Starts nothing; reads dist/ (npm run build).
// - collector: the collector in-process and the built CLI, on every store. test/services/setup.ts
//   starts throw-away PostgreSQL and ClickHouse servers (installing them with apt-get as root).
// - faults: the built `quietcount serve` killed, its store stopped, its disk full. Same servers.
// - fuzz: random and hostile beacon bodies (FUZZ_RUNS). Starts nothing.
// - browser: Debian's Chromium through playwright-core, on the built scripts. test/browser/setup.ts
//   provisions the binary.
//
// A store or browser that cannot be had makes its tests skipped, saying why; under CI=true they
// fail instead, naming it (test/collector/stores.ts describeStore, test/browser/harness.ts).
const services = 'test/services/setup.ts'
export default defineConfig({
  test: {
    // Most test files wait on servers, browsers and child processes rather than compute: three
    // at a time on a 2-core machine (vitest's default would be one) keeps CI near 7 minutes. Every
    // project inherits this one figure (vitest runs projects with one figure in one pool).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits for a state; its limit only ends a wait for something that never comes
    // (vitest's 1 s default fails a busy machine that is slow, not wrong).
    expect: { poll: { timeout: 15_000 } },
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/size.test.ts'] } },
      { extends: true, test: { name: 'collector', include: ['test/collector/**/*.test.ts'], globalSetup: [services] } },
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.test.ts'], globalSetup: [services] } },
      { extends: true, test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/browser/setup.ts'] } },
    ],
  },
})
