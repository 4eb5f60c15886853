import type { Migration } from '../../migrate.js'
import { calendarRows, EVENT_DIMENSIONS, MARGINAL_COUNTERS, PAGE_COUNTERS, PAGE_DIMENSIONS, PARENTS, unpackedRows } from '../../migrations/003-two-tiers.js'
import { type ClickHouseContext, settingsClause } from './context.js'

/**
 * Version 3: the detail tier and the marginal tier (../../migrations/003-two-tiers.ts). Frozen.
 *
 * Without transactions it is made safe to run again: the version-2 tables are first renamed to
 * `v2_*`; while `v2_pages` exists the new tables are dropped and built again from them, and
 * `v2_pages` is dropped first once they are built, so that a run interrupted at any point either
 * starts over from whole version-2 tables or only has leftovers to drop.
 */
export const migration: Migration<ClickHouseContext> = {
  version: 3,
  name: 'two tiers',
  async up(context) {
    const { db, settings, command, rows, insert, timezoneOf } = context
    const exists = async (table: string) => (await rows(`EXISTS TABLE ${db}.${table}`))[0]?.result === 1
    for (const table of ['pages', 'events', 'consents']) {
      if ((await exists(table)) && !(await exists(`v2_${table}`))) await command(`RENAME TABLE ${db}.${table} TO ${db}.v2_${table}`)
    }
    const summing = (counters: string[], partition = '') => `ENGINE = SummingMergeTree((${[...counters, '_writes'].join(', ')}))${partition}`
    const detailEvents = [...EVENT_DIMENSIONS, 'props']
    const marginal = (table: string, period: string) =>
      `${table} (site String, ${period} UInt32, dimension String, parent String, value String, ${MARGINAL_COUNTERS.map((c) => `${c} Int64`).join(', ')}, _writes UInt64) ` +
      `${summing(MARGINAL_COUNTERS)} ORDER BY (site, dimension, ${period}, parent, value)`
    const tables = [
      // Detail is partitioned by week, so that expiring a site's old hours rewrites old parts only.
      `detail_pages (site String, hour UInt32, ${PAGE_DIMENSIONS.map((d) => `${d} String`).join(', ')}, ${PAGE_COUNTERS.map((c) => `${c} Int64`).join(', ')}, _writes UInt64) ` +
        `${summing(PAGE_COUNTERS, ' PARTITION BY intDiv(hour, 168)')} ORDER BY (site, hour, ${PAGE_DIMENSIONS.join(', ')})`,
      `detail_events (site String, hour UInt32, ${detailEvents.map((d) => `${d} String`).join(', ')}, events Int64, _writes UInt64) ` +
        `${summing(['events'], ' PARTITION BY intDiv(hour, 168)')} ORDER BY (site, hour, ${detailEvents.join(', ')})`,
      `totals (site String, hour UInt32, ${[...PAGE_COUNTERS, 'events', 'undetailed'].map((c) => `${c} Int64`).join(', ')}, _writes UInt64) ${summing([...PAGE_COUNTERS, 'events', 'undetailed'])} ORDER BY (site, hour)`,
      marginal('daily', 'day'),
      marginal('monthly', 'month'),
      // The latest cutoff per site wins when parts merge; queries take max() meanwhile.
      'detail_cutoffs (site String, hour UInt32) ENGINE = ReplacingMergeTree(hour) ORDER BY site',
    ]
    const names = tables.map((t) => t.split(' ')[0]!)
    if (!(await exists('v2_pages'))) {
      // Already built (or never anything to build): create what is missing, drop leftovers.
      for (const table of tables) await command(`CREATE TABLE IF NOT EXISTS ${db}.${table}${settingsClause(settings)}`)
      for (const table of ['v2_events', 'v2_consents', 'v3_calendar']) await command(`DROP TABLE IF EXISTS ${db}.${table}`)
      return
    }
    for (const name of [...names, 'v3_calendar']) await command(`DROP TABLE IF EXISTS ${db}.${name}`)
    for (const table of tables) await command(`CREATE TABLE ${db}.${table}${settingsClause(settings)}`)

    const sums = (counters: string[]) => counters.map((c) => `sum(${c})`).join(', ')
    await command(`INSERT INTO ${db}.detail_pages SELECT * FROM ${db}.v2_pages`)
    await command(
      `INSERT INTO ${db}.detail_events (site, hour, ${detailEvents.join(', ')}, events, _writes) SELECT site, hour, ${detailEvents.join(', ')}, count, _writes FROM ${db}.v2_events`,
    )
    await command(
      `INSERT INTO ${db}.totals (site, hour, ${PAGE_COUNTERS.join(', ')}, _writes) SELECT site, hour, ${sums(PAGE_COUNTERS)}, 1 FROM ${db}.v2_pages GROUP BY site, hour`,
    )
    await command(`INSERT INTO ${db}.totals (site, hour, events, _writes) SELECT site, hour, sum(count), 1 FROM ${db}.v2_events GROUP BY site, hour`)

    const hours = (await rows(
      `SELECT DISTINCT site, hour FROM (SELECT site, hour FROM ${db}.v2_pages UNION ALL SELECT site, hour FROM ${db}.v2_events UNION ALL SELECT site, hour FROM ${db}.v2_consents)`,
    )) as { site: string; hour: number }[]
    const calendar = calendarRows(hours, timezoneOf)
    await command(`CREATE TABLE ${db}.v3_calendar (site String, hour UInt32, day UInt32, month UInt32) ENGINE = TinyLog`)
    if (calendar.length) await insert('v3_calendar', calendar as never)
    const perDay = (table: string) => `FROM ${db}.${table} ANY INNER JOIN (SELECT site, hour, day FROM ${db}.v3_calendar) USING (site, hour)`
    for (const d of PAGE_DIMENSIONS) {
      const parent = PARENTS[d] ?? "''"
      await command(
        `INSERT INTO ${db}.daily (site, day, dimension, parent, value, ${PAGE_COUNTERS.join(', ')}, _writes) ` +
          `SELECT site, day, '${d}', ${parent}, ${d}, ${sums(PAGE_COUNTERS)}, 1 ${perDay('v2_pages')} GROUP BY site, day, ${parent}, ${d}`,
      )
    }
    for (const d of EVENT_DIMENSIONS) {
      await command(
        `INSERT INTO ${db}.daily (site, day, dimension, parent, value, events, _writes) SELECT site, day, '${d}', '', ${d}, sum(count), 1 ${perDay('v2_events')} GROUP BY site, day, ${d}`,
      )
    }
    await command(
      `INSERT INTO ${db}.daily (site, day, dimension, parent, value, decisions, _writes) SELECT site, day, 'decision', '', decision, sum(count), 1 ${perDay('v2_consents')} GROUP BY site, day, decision`,
    )
    // Every record of a local day, under the dimension `total`.
    await command(
      `INSERT INTO ${db}.daily (site, day, dimension, parent, value, ${PAGE_COUNTERS.join(', ')}, events, _writes) SELECT site, day, 'total', '', '', ${sums([...PAGE_COUNTERS, 'events'])}, 1 ${perDay('totals')} GROUP BY site, day`,
    )
    const unpacked = unpackedRows(
      (await rows(`SELECT site, hour, name, props, sum(count) AS events FROM ${db}.v2_events WHERE props NOT IN ('', '{}') GROUP BY site, hour, name, props`)) as never,
      (await rows(`SELECT site, hour, categories, sum(count) AS count FROM ${db}.v2_consents WHERE categories NOT IN ('', '{}') GROUP BY site, hour, categories`)) as never,
      calendar,
    )
    if (unpacked.length) await insert('daily', unpacked.map((row) => ({ ...row, _writes: 1 })) as never)
    await command(
      `INSERT INTO ${db}.monthly (site, month, dimension, parent, value, ${MARGINAL_COUNTERS.join(', ')}, _writes) ` +
        `SELECT site, month, dimension, parent, value, ${sums(MARGINAL_COUNTERS)}, 1 FROM ${db}.daily ANY INNER JOIN (SELECT DISTINCT day, month FROM ${db}.v3_calendar) USING (day) GROUP BY site, month, dimension, parent, value`,
    )
    for (const table of ['v2_pages', 'v2_events', 'v2_consents', 'v3_calendar']) await command(`DROP TABLE IF EXISTS ${db}.${table}`)
  },
}
