import type { Migration } from '../../migrate.js'
import { type ClickHouseContext, settingsClause } from './context.js'

/**
 * Version 4: the last batch taken from each collector's spool, per table (Store.replay: ClickHouse
 * has no transactions across tables, so each table's insert is followed by its own record). The
 * greatest `through` wins when rows merge; a reader takes max(through). Frozen.
 */
export const migration: Migration<ClickHouseContext> = {
  version: 4,
  name: 'replays',
  async up({ db, settings, command }) {
    await command(
      `CREATE TABLE IF NOT EXISTS ${db}.quietcount_replays (spool String, counts_table String, through UInt64) ENGINE = ReplacingMergeTree(through) ORDER BY (spool, counts_table)${settingsClause(settings)}`,
    )
  },
}
