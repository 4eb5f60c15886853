import type { Migration } from '../../migrate.js'
import type { SqliteContext } from './context.js'

/**
 * Version 2: the tables clustered on their key (WITHOUT ROWID). A range of hours is then read in
 * key order from one b-tree instead of through the key's index and back into the table for each
 * row, which halves the time of a dashboard query over a year of rows. Frozen.
 */
export const migration: Migration<SqliteContext> = {
  version: 2,
  name: 'clustered tables',
  up({ db }) {
    const columns: Record<string, [dimensions: string[], counters: string[]]> = {
      pages: [
        ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'browser_version', 'os', 'device'],
        ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll'],
      ],
      events: [['name', 'path', 'props', 'country', 'language', 'screen', 'browser', 'os', 'device'], ['count']],
      consents: [['decision', 'categories'], ['count']],
    }
    for (const [table, [dimensions, counters]] of Object.entries(columns)) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${table}_clustered (
  site TEXT NOT NULL,
  hour INTEGER NOT NULL,
  ${dimensions.map((d) => `${d} TEXT NOT NULL DEFAULT ''`).join(',\n  ')},
  ${counters.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (site, hour, ${dimensions.join(', ')})
) WITHOUT ROWID;
INSERT INTO ${table}_clustered SELECT * FROM ${table};
DROP TABLE ${table};
ALTER TABLE ${table}_clustered RENAME TO ${table};`)
    }
  },
}
