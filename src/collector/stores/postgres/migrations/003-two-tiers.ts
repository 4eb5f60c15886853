import type { Migration } from '../../migrate.js'
import { calendarRows, sqlSteps, unpackedRows } from '../../migrations/003-two-tiers.js'
import type { PostgresContext } from './context.js'

const withoutNul = (text: string) => text.replaceAll('\0', '\uFFFD')

/** Version 3: the detail tier and the marginal tier (../../migrations/003-two-tiers.ts). Frozen. */
export const migration: Migration<PostgresContext> = {
  version: 3,
  name: 'two tiers',
  async up({ query, timezoneOf }) {
    const { ddl, fill, rollUp } = sqlSteps({ integer: 'BIGINT', clustered: '' })
    for (const sql of ddl) await query(sql)
    await query('CREATE TEMP TABLE v3_calendar (site TEXT NOT NULL, hour BIGINT NOT NULL, day BIGINT NOT NULL, month BIGINT NOT NULL, PRIMARY KEY (site, hour))')
    const hours = (await query('SELECT site, hour FROM detail_pages UNION SELECT site, hour FROM detail_events UNION SELECT site, hour FROM consents')) as {
      site: string
      hour: number
    }[]
    const calendar = calendarRows(hours, timezoneOf)
    const column = <K extends keyof (typeof calendar)[number]>(key: K) => calendar.map((c) => c[key])
    await query('INSERT INTO v3_calendar SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])', [
      column('site'),
      column('hour'),
      column('day'),
      column('month'),
    ])
    for (const sql of fill) await query(sql)
    const unpacked = unpackedRows(
      (await query("SELECT site, hour, name, props, SUM(events) AS events FROM detail_events WHERE props NOT IN ('', '{}') GROUP BY site, hour, name, props")) as never,
      (await query("SELECT site, hour, categories, SUM(count) AS count FROM consents WHERE categories NOT IN ('', '{}') GROUP BY site, hour, categories")) as never,
      calendar,
    )
    const of = <K extends keyof (typeof unpacked)[number]>(key: K) => unpacked.map((r) => r[key])
    await query(
      'INSERT INTO daily (site, day, dimension, parent, value, events, decisions) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])',
      // PostgreSQL text cannot hold U+0000, which JSON could: stored as U+FFFD, as the store does.
      [of('site'), of('day'), of('dimension'), of('parent').map(withoutNul), of('value').map(withoutNul), of('events'), of('decisions')],
    )
    for (const sql of rollUp) await query(sql)
  },
}
