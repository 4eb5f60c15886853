import type { Migration } from '../../migrate.js'
import type { PostgresContext } from './context.js'

/** Version 1: one wide table per record kind, a row per (site, UTC hour, dimension tuple). Frozen. */
export const migration: Migration<PostgresContext> = {
  version: 1,
  name: 'counter tables',
  async up({ query }) {
    const columns: Record<string, [dimensions: string[], counters: string[]]> = {
      pages: [
        ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'browser_version', 'os', 'device'],
        ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll'],
      ],
      events: [['name', 'path', 'props', 'country', 'language', 'screen', 'browser', 'os', 'device'], ['count']],
      consents: [['decision', 'categories'], ['count']],
    }
    for (const [table, [dimensions, counters]] of Object.entries(columns)) {
      await query(`CREATE TABLE IF NOT EXISTS ${table} (
  site TEXT NOT NULL,
  hour BIGINT NOT NULL,
  ${dimensions.map((d) => `${d} TEXT NOT NULL DEFAULT ''`).join(',\n  ')},
  ${counters.map((c) => `${c} BIGINT NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (site, hour, ${dimensions.join(', ')})
)`)
    }
  },
}
