import type { Migration } from '../../migrate.js'
import { migration as counterTables } from './001-counter-tables.js'
import { migration as clustered } from './002-clustered.js'
import { migration as twoTiers } from './003-two-tiers.js'
import { migration as replays } from './004-replays.js'
import type { SqliteContext } from './context.js'

/** SQLite's schema versions, in order. */
export const MIGRATIONS: Migration<SqliteContext>[] = [counterTables, clustered, twoTiers, replays]
