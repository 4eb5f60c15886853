import type { Migration } from '../../migrate.js'
import { type ClickHouseContext, settingsClause } from './context.js'

/**
 * Version 1: one wide SummingMergeTree per record kind, keyed by site, hour and every dimension.
 * `_writes` (1 per written row, summed like the counters) keeps rows whose counters sum to zero,
 * which a SummingMergeTree would otherwise delete when it merges. Frozen.
 */
export const migration: Migration<ClickHouseContext> = {
  version: 1,
  name: 'counter tables',
  async up({ db, settings, command }) {
    const columns: Record<string, [dimensions: string[], counters: string[]]> = {
      pages: [
        ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'browser_version', 'os', 'device'],
        ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll'],
      ],
      events: [['name', 'path', 'props', 'country', 'language', 'screen', 'browser', 'os', 'device'], ['count']],
      consents: [['decision', 'categories'], ['count']],
    }
    for (const [table, [dimensions, counters]] of Object.entries(columns)) {
      const all = ['site String', 'hour UInt32', ...dimensions.map((d) => `${d} String`), ...counters.map((c) => `${c} Int64`), '_writes UInt64']
      await command(
        `CREATE TABLE IF NOT EXISTS ${db}.${table} (${all.join(', ')}) ENGINE = SummingMergeTree((${[...counters, '_writes'].join(', ')})) ORDER BY (site, hour, ${dimensions.join(', ')})${settingsClause(settings)}`,
      )
    }
  },
}
