import { afterAll, expect, inject, it } from 'vitest'
import { openStore } from '../../src/collector/stores/open.js'
import { type Server, startClickHouse, startPostgres } from '../services/setup.js'
import { describeStore, storesUnderTest } from './stores.js'

// Store.ping, the collector's health check: it resolves while the store answers and rejects once
// it does not (its server stopped; SQLite closed), and answers again when the server is back,
// on the same store, without reopening it.

for (const underTest of storesUnderTest()) {
  describeStore(underTest, 'ping', () => {
    it('answers', async () => {
      const store = await underTest.open()
      await expect(store.ping()).resolves.toBeUndefined()
      await store.close()
    })
  })
}

// SQLite has no server to stop: its connections closing is what it cannot answer after.
it('sqlite: rejects ping once the store is closed', async () => {
  const store = await storesUnderTest()[0]!.open()
  await store.close()
  await expect(store.ping()).rejects.toThrow(/not open/)
})

const services = inject('services') ?? {}
const servers: Server[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

// A server of its own for each (the shared test servers must not go away under other suites),
// skipped where the shared one could not be started either (failed under CI=true).
const kinds = [
  { name: 'postgres', start: startPostgres },
  { name: 'clickhouse', start: startClickHouse },
]
for (const { name, start } of kinds) {
  const underTest = storesUnderTest().find((s) => s.name === name) ?? { name, missing: services[name]?.missing ?? 'not provided', open: () => Promise.reject() }
  describeStore(underTest, 'ping while the server is stopped and started again', () => {
    it('rejects while it is down, answers again once it is up', async () => {
      const server = await start()
      servers.push(server)
      const store = await openStore(server.url.replace('{db}', `qc_ping_${name}_${process.pid}`))
      try {
        await store.migrate()
        await expect(store.ping()).resolves.toBeUndefined()
        await server.down()
        await expect(store.ping()).rejects.toThrow()
        await server.up()
        await expect(store.ping()).resolves.toBeUndefined()
      } finally {
        await store.close()
      }
    }, 60_000)
  })
}
