import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { Store } from '../../src/collector/stores/store.js'
import { openStore } from '../../src/collector/stores/open.js'

/**
 * The stores every collector suite runs against. SQLite always; PostgreSQL and ClickHouse when
 * test/services/setup.ts started their throw-away servers (it says why when it could not, and
 * under CI=true a missing server fails the run).
 */
export interface StoreUnderTest {
  name: string
  /** A fresh, empty, migrated store. */
  open(): Promise<Store>
  /** Why it cannot run here, or '' when it can. */
  missing: string
}

/** Numbers the databases of one test process, so that two opened in the same millisecond differ. */
let databases = 0

export function storesUnderTest(): StoreUnderTest[] {
  const services = inject('services') ?? {}
  return [
    {
      name: 'sqlite',
      missing: '',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'quietcount-sqlite-'))
        const store = await openStore(`sqlite:${join(dir, 'test.db')}`)
        await store.migrate()
        const close = store.close
        return { ...store, close: async () => (await close(), rmSync(dir, { recursive: true, force: true })) }
      },
    },
    ...Object.entries(services).map(([name, service]) => ({
      name,
      missing: service.missing,
      async open() {
        // Each call gets its own database, so suites never see each other's counts.
        const store = await openStore(service.url.replace('{db}', `qc_${process.pid}_${Date.now()}_${databases++}`))
        await store.migrate()
        return store
      },
    })),
  ]
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Started test servers by store name: a URL template with `{db}` for a fresh database. */
    services: Record<string, { url: string; missing: string }>
  }
}
