import type { Migration } from '../../migrate.js'
import type { SqliteContext } from './context.js'

/** Version 4: the last batch taken from each collector's spool (Store.replay). Frozen. */
export const migration: Migration<SqliteContext> = {
  version: 4,
  name: 'replays',
  up({ db }) {
    db.exec('CREATE TABLE quietcount_replays (spool TEXT PRIMARY KEY, through INTEGER NOT NULL) WITHOUT ROWID')
  },
}
