import type { Migration } from '../../migrate.js'
import { calendarRows, sqlSteps, unpackedRows } from '../../migrations/003-two-tiers.js'
import type { SqliteContext } from './context.js'

/** Version 3: the detail tier and the marginal tier (../../migrations/003-two-tiers.ts). Frozen. */
export const migration: Migration<SqliteContext> = {
  version: 3,
  name: 'two tiers',
  up({ db, timezoneOf }) {
    const { ddl, fill, rollUp } = sqlSteps({ integer: 'INTEGER', clustered: ' WITHOUT ROWID' })
    for (const sql of ddl) db.exec(sql)
    db.exec('CREATE TEMP TABLE v3_calendar (site TEXT NOT NULL, hour INTEGER NOT NULL, day INTEGER NOT NULL, month INTEGER NOT NULL, PRIMARY KEY (site, hour)) WITHOUT ROWID')
    const hours = db.prepare('SELECT site, hour FROM detail_pages UNION SELECT site, hour FROM detail_events UNION SELECT site, hour FROM consents').all() as {
      site: string
      hour: number
    }[]
    const calendar = calendarRows(hours, timezoneOf)
    const insertDay = db.prepare('INSERT INTO v3_calendar (site, hour, day, month) VALUES (?, ?, ?, ?)')
    for (const c of calendar) insertDay.run(c.site, c.hour, c.day, c.month)
    for (const sql of fill) db.exec(sql)
    const unpacked = unpackedRows(
      db.prepare("SELECT site, hour, name, props, SUM(events) AS events FROM detail_events WHERE props NOT IN ('', '{}') GROUP BY site, hour, name, props").all() as never,
      db.prepare("SELECT site, hour, categories, SUM(count) AS count FROM consents WHERE categories NOT IN ('', '{}') GROUP BY site, hour, categories").all() as never,
      calendar,
    )
    const insertRow = db.prepare('INSERT INTO daily (site, day, dimension, parent, value, events, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)')
    for (const r of unpacked) insertRow.run(r.site, r.day, r.dimension, r.parent, r.value, r.events, r.decisions)
    for (const sql of rollUp) db.exec(sql)
  },
}
