import { calendar } from '../../sites/time-zone.js'

/**
 * Schema version 3, the two tiers, as the stores share it. Version 2's wide tables become the
 * detail tier (`pages` → `detail_pages`, `events` → `detail_events`), and the marginal tier
 * (`totals`, `daily`, `monthly`) is built from them, in each site's local days. Frozen: the
 * column lists are written out here as version 3 had them, not read from the live registry.
 */

export const PAGE_DIMENSIONS = ['path', 'referrer', 'source', 'medium', 'campaign', 'country', 'language', 'screen', 'browser', 'browser_version', 'os', 'device']
/** Dimensions whose marginal rows hold the pair (parent, value). */
export const PARENTS: Record<string, string> = { browser_version: 'browser' }
export const EVENT_DIMENSIONS = ['path', 'country', 'language', 'screen', 'browser', 'os', 'device', 'name']
export const PAGE_COUNTERS = ['views', 'visits', 'visitors_day', 'visitors_month', 'seconds', 'scroll']
export const MARGINAL_COUNTERS = [...PAGE_COUNTERS, 'events', 'decisions']

/** The DDL and the set-based fill of version 3 for the SQL stores (SQLite, PostgreSQL). */
export function sqlSteps({ integer, clustered }: { integer: string; clustered: string }) {
  const text = (c: string) => `${c} TEXT NOT NULL DEFAULT ''`
  const count = (c: string) => `${c} ${integer} NOT NULL DEFAULT 0`
  const marginal = (period: 'day' | 'month') =>
    `CREATE TABLE ${period === 'day' ? 'daily' : 'monthly'} (site TEXT NOT NULL, ${period} ${integer} NOT NULL, dimension TEXT NOT NULL, ${text('parent')}, ${text('value')}, ` +
    `${MARGINAL_COUNTERS.map(count).join(', ')}, PRIMARY KEY (site, dimension, ${period}, parent, value))${clustered}`
  const detailEvents = [...EVENT_DIMENSIONS, 'props']
  const ddl = [
    'ALTER TABLE pages RENAME TO detail_pages',
    `CREATE TABLE detail_events (site TEXT NOT NULL, hour ${integer} NOT NULL, ${detailEvents.map(text).join(', ')}, ${count('events')}, PRIMARY KEY (site, hour, ${detailEvents.join(', ')}))${clustered}`,
    `INSERT INTO detail_events (site, hour, ${detailEvents.join(', ')}, events) SELECT site, hour, ${detailEvents.join(', ')}, count FROM events`,
    'DROP TABLE events',
    `CREATE TABLE totals (site TEXT NOT NULL, hour ${integer} NOT NULL, ${[...PAGE_COUNTERS, 'events', 'undetailed'].map(count).join(', ')}, PRIMARY KEY (site, hour))${clustered}`,
    marginal('day'),
    marginal('month'),
    `CREATE TABLE detail_cutoffs (site TEXT NOT NULL PRIMARY KEY, hour ${integer} NOT NULL)${clustered}`,
  ]
  const sums = (alias: string, counters: string[]) => counters.map((c) => `SUM(${alias}.${c})`).join(', ')
  const perDay = (alias: string, table: string) => `FROM ${table} ${alias} JOIN v3_calendar c ON c.site = ${alias}.site AND c.hour = ${alias}.hour WHERE true`
  const addEvents = 'ON CONFLICT (site, dimension, day, parent, value) DO UPDATE SET events = daily.events + excluded.events'
  const fill = [
    `INSERT INTO totals (site, hour, ${PAGE_COUNTERS.join(', ')}) SELECT p.site, p.hour, ${sums('p', PAGE_COUNTERS)} FROM detail_pages p GROUP BY p.site, p.hour`,
    'INSERT INTO totals (site, hour, events) SELECT e.site, e.hour, SUM(e.events) FROM detail_events e WHERE true GROUP BY e.site, e.hour ON CONFLICT (site, hour) DO UPDATE SET events = totals.events + excluded.events',
    ...PAGE_DIMENSIONS.map((d) => {
      const parent = PARENTS[d] ? `p.${PARENTS[d]}` : "''"
      // PostgreSQL refuses a constant in GROUP BY: the parent is grouped by only where it is a column.
      return `INSERT INTO daily (site, day, dimension, parent, value, ${PAGE_COUNTERS.join(', ')}) SELECT p.site, c.day, '${d}', ${parent}, p.${d}, ${sums('p', PAGE_COUNTERS)} ${perDay('p', 'detail_pages')} GROUP BY p.site, c.day, ${PARENTS[d] ? `${parent}, ` : ''}p.${d}`
    }),
    ...EVENT_DIMENSIONS.map(
      (d) =>
        `INSERT INTO daily (site, day, dimension, parent, value, events) SELECT e.site, c.day, '${d}', '', e.${d}, SUM(e.events) ${perDay('e', 'detail_events')} GROUP BY e.site, c.day, e.${d} ${addEvents}`,
    ),
    `INSERT INTO daily (site, day, dimension, parent, value, decisions) SELECT s.site, c.day, 'decision', '', s.decision, SUM(s.count) ${perDay('s', 'consents')} GROUP BY s.site, c.day, s.decision`,
    // Every record of a local day, under the dimension `total`.
    `INSERT INTO daily (site, day, dimension, parent, value, ${PAGE_COUNTERS.join(', ')}, events) SELECT t.site, c.day, 'total', '', '', ${sums('t', [...PAGE_COUNTERS, 'events'])} ${perDay('t', 'totals')} GROUP BY t.site, c.day`,
  ]
  const rollUp = [
    'CREATE TEMP TABLE v3_months AS SELECT DISTINCT day, month FROM v3_calendar',
    `INSERT INTO monthly (site, month, dimension, parent, value, ${MARGINAL_COUNTERS.join(', ')}) SELECT d.site, m.month, d.dimension, d.parent, d.value, ${sums('d', MARGINAL_COUNTERS)} ` +
      'FROM daily d JOIN v3_months m ON m.day = d.day GROUP BY d.site, m.month, d.dimension, d.parent, d.value',
    'DROP TABLE consents',
    'DROP TABLE v3_months',
    'DROP TABLE v3_calendar',
  ]
  return { ddl, fill, rollUp }
}

export interface CalendarRow {
  site: string
  hour: number
  day: number
  month: number
}

/** The local day and month of each (site, hour), in the site's time zone. */
export function calendarRows(hours: { site: string; hour: number }[], timezoneOf: (site: string) => string): CalendarRow[] {
  return hours.map(({ site, hour }) => ({ site, hour: Number(hour), ...calendar(Number(hour), timezoneOf(site)) }))
}

/** A daily marginal row made in JavaScript: event props and consent categories are JSON objects in version 2. */
export interface DailyRow {
  site: string
  day: number
  dimension: 'prop' | 'category'
  parent: string
  value: string
  events: number
  decisions: number
}

/**
 * Each pair of an event's props as `key=value` under the event's name, and each category of a
 * consent decision as `category:granted` or `category:refused`, per site-local day, summed. In
 * JavaScript because version 2 kept them as JSON text, which not every server can unpack (and
 * PostgreSQL's jsonb refuses the \u0000 escapes JSON.stringify may have written).
 */
export function unpackedRows(
  events: { site: string; hour: number; name: string; props: string; events: number }[],
  consents: { site: string; hour: number; categories: string; count: number }[],
  calendar: CalendarRow[],
): DailyRow[] {
  const days = new Map(calendar.map((c) => [`${c.site}\u0000${c.hour}`, c.day]))
  const dayOf = (site: string, hour: number) => days.get(`${site}\u0000${hour}`)!
  const rows = new Map<string, DailyRow>()
  const add = (row: DailyRow) => {
    const key = JSON.stringify([row.site, row.day, row.dimension, row.parent, row.value])
    const held = rows.get(key)
    if (held) {
      held.events += row.events
      held.decisions += row.decisions
    } else rows.set(key, row)
  }
  for (const e of events) {
    for (const [key, value] of Object.entries(JSON.parse(e.props || '{}') as Record<string, string>)) {
      add({ site: e.site, day: dayOf(e.site, Number(e.hour)), dimension: 'prop', parent: e.name, value: `${key}=${value}`, events: Number(e.events), decisions: 0 })
    }
  }
  for (const c of consents) {
    for (const [category, granted] of Object.entries(JSON.parse(c.categories || '{}') as Record<string, boolean>)) {
      add({
        site: c.site,
        day: dayOf(c.site, Number(c.hour)),
        dimension: 'category',
        parent: '',
        value: `${category}:${granted ? 'granted' : 'refused'}`,
        events: 0,
        decisions: Number(c.count),
      })
    }
  }
  return [...rows.values()]
}
