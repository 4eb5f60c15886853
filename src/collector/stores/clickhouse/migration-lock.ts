import type { ClickHouseConnection } from './connection.js'

/** How long migrate() waits for another migrator's lock, and when a lock counts as abandoned. */
const LOCK_WAIT_MS = 120_000
const LOCK_STALE_S = 600

/**
 * Runs `work` holding the migration lock. ClickHouse has no locks: creating a table is atomic,
 * so a lock table that exists means another migrator runs. One left by a migrator that died is
 * taken over after 10 minutes.
 */
export async function withMigrationLock(connection: ClickHouseConnection, work: () => Promise<void>): Promise<void> {
  await takeLock(connection)
  try {
    await work()
  } finally {
    await connection.command(`DROP TABLE IF EXISTS ${connection.db}.quietcount_migration_lock`)
  }
}

/** Creates the lock table, waiting while another migrator holds it. */
async function takeLock({ db, database, rows, command }: ClickHouseConnection): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      // Looked for first, so that the usual wait does not log a failed CREATE each time.
      if ((await rows(`EXISTS TABLE ${db}.quietcount_migration_lock`))[0]?.result === 1) throw new Error('lock table already exists')
      await command(`CREATE TABLE ${db}.quietcount_migration_lock (at DateTime) ENGINE = TinyLog`)
      await command(`INSERT INTO ${db}.quietcount_migration_lock VALUES (now())`)
      return
    } catch (error) {
      if (!/already exists/i.test((error as Error).message)) throw error
      // The holder may have finished and dropped the lock since: then there is nothing to read, and the next try takes it.
      const [held] = await rows(`SELECT dateDiff('second', max(at), now()) AS age, count() AS n FROM ${db}.quietcount_migration_lock`).catch(() => [])
      if (Number(held?.n) > 0 && Number(held?.age) > LOCK_STALE_S) await command(`DROP TABLE IF EXISTS ${db}.quietcount_migration_lock`)
      else if (Date.now() > deadline)
        throw new Error(`clickhouse: another collector has been migrating ${database} for over ${LOCK_WAIT_MS / 1000} s (table quietcount_migration_lock)`)
      else await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}
