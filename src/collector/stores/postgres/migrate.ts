import { runMigrations } from '../migrate.js'
import type { MigrateOptions } from '../store.js'
import type { PostgresConnection } from './connection.js'
import { MIGRATIONS } from './migrations/index.js'

/** Held (per transaction) while migrating, so that collectors started together migrate once. */
const MIGRATION_LOCK = 0x71_63_6d_67 // "qcmg"

/**
 * Store.migrate: the versions not applied yet, in one transaction holding an advisory lock,
 * after creating the URL's database if it is missing.
 */
export async function migrate(connection: PostgresConnection, options: MigrateOptions = {}): Promise<void> {
  await connection.transaction(async (client) => {
    const query = async (text: string, values?: unknown[]) => (await client.query({ text, values })).rows
    await runMigrations(
      {
        context: { query, timezoneOf: options.timezoneOf ?? (() => 'UTC') },
        async locked(work) {
          await query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`)
          await query('CREATE TABLE IF NOT EXISTS quietcount_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())')
          await work()
        },
        applied: async () => new Set((await query('SELECT version FROM quietcount_migrations')).map((r) => Number(r.version))),
        record: async (version) => void (await query('INSERT INTO quietcount_migrations (version) VALUES ($1)', [version])),
      },
      MIGRATIONS,
    )
  }, true)
}
