import type { Migration } from '../../migrate.js'
import type { PostgresContext } from './context.js'

/** Version 4: the last batch taken from each collector's spool (Store.replay). Frozen. */
export const migration: Migration<PostgresContext> = {
  version: 4,
  name: 'replays',
  async up({ query }) {
    await query('CREATE TABLE quietcount_replays (spool TEXT PRIMARY KEY, through BIGINT NOT NULL)')
  },
}
