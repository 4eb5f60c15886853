/**
 * The one migration runner of the stores. Each store keeps its schema versions as frozen files
 * (`<store>/migrations/NNN-name.ts`: the DDL and data steps of that version, never edited once
 * released) and supplies a host that knows how to lock, read the applied versions and apply one.
 * The runner checks the list and applies, in order, the versions not yet applied, holding the
 * lock, so that collectors started together migrate once.
 */

export interface Migration<Context> {
  version: number
  name: string
  /** Runs the version's steps. Inside a transaction where the store has DDL transactions. */
  up(context: Context): Promise<void> | void
}

export interface MigrationHost<Context> {
  /** Runs `work` holding the store's migration lock (SQLite and PostgreSQL: inside one transaction). */
  locked(work: () => Promise<void>): Promise<void>
  /** The versions already applied. */
  applied(): Promise<Set<number>>
  /** What a migration's steps run against. */
  context: Context
  /** Records a version as applied, inside the same lock (and transaction). */
  record(version: number): Promise<void>
}

/** Applies the migrations not yet applied, in order, under the host's lock. */
export async function runMigrations<Context>(host: MigrationHost<Context>, migrations: readonly Migration<Context>[]): Promise<number[]> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}: versions run 1, 2, 3… without gaps`)
  })
  const applied: number[] = []
  await host.locked(async () => {
    const done = await host.applied()
    for (const migration of migrations) {
      if (done.has(migration.version)) continue
      await migration.up(host.context)
      await host.record(migration.version)
      applied.push(migration.version)
    }
  })
  return applied
}
