import type { Migration } from '../../migrate.js'
import { migration as counterTables } from './001-counter-tables.js'
import { migration as clustered } from './002-clustered.js'
import type { SqliteContext } from './context.js'
import { migration as twoTiers } from './003-two-tiers.js'

/** SQLite's schema versions, in order. */
export const MIGRATIONS: Migration<SqliteContext>[] = [counterTables, clustered, twoTiers]
