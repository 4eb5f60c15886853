import type { Period } from '../../shared/stats-types.js'
import { addDays, dayNumber, monthNumber, startHour } from '../sites/time-zone.js'
import type { QueryPart } from '../stores/store.js'

/** Date ranges of the stats model: named periods, their hours, and the marginal rows that cover them. */

export interface DateRange {
  /** First and last day included, `YYYY-MM-DD`, in the site's time zone. */
  from: string
  to: string
}

/** The range of a named period, in the site's time zone, on the local date `now`. */
export function periodRange(period: Exclude<Period, 'custom'>, now: string): DateRange {
  const month = `${now.slice(0, 8)}01`
  switch (period) {
    case 'today':
      return { from: now, to: now }
    case 'yesterday':
      return { from: addDays(now, -1), to: addDays(now, -1) }
    case '7d':
      return { from: addDays(now, -6), to: now }
    case '30d':
      return { from: addDays(now, -29), to: now }
    case 'month':
      return { from: month, to: now }
    case 'last-month': {
      const last = addDays(month, -1)
      return { from: `${last.slice(0, 8)}01`, to: last }
    }
    case '12mo': {
      const [y, m] = month.split('-').map(Number)
      return { from: new Date(Date.UTC(y!, m! - 12, 1)).toISOString().slice(0, 10), to: now }
    }
  }
}

export const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 864e5) + 1

/** The period of the same length just before. */
export function previousPeriod({ from, to }: DateRange): DateRange {
  return { from: addDays(from, -daysBetween(from, to)), to: addDays(from, -1) }
}

/** The UTC hours of a range of local days: `from` included, `to` excluded. */
export const hoursOf = ({ from, to }: DateRange, timezone: string) => ({ from: startHour(from, timezone), to: startHour(addDays(to, 1), timezone) })

/**
 * The marginal rows that add up to a range of local days: its whole months from `monthly`, the
 * days before and after them from `daily`. A month counts as whole when the range holds every
 * day of it up to `today` (no later day has counts yet), so "the last 12 months" is twelve
 * monthly rows per value and no daily row.
 */
export function marginalParts({ from, to }: DateRange, today: string): QueryPart[] {
  const first = dayNumber(from)
  const last = dayNumber(to)
  const firstMonth = monthNumber(from) + (from.endsWith('-01') ? 0 : 1)
  // The last month whose days up to today all lie in the range.
  const lastDate = to >= today ? today : addDays(to, 1).endsWith('-01') ? to : addDays(`${to.slice(0, 8)}01`, -1)
  const lastMonth = monthNumber(lastDate)
  if (lastMonth < firstMonth || to < from) return [{ table: 'daily', from: first, to: last + 1 }]
  const monthStart = (month: number) => dayNumber(`${String(Math.floor(month / 12)).padStart(4, '0')}-${String((month % 12) + 1).padStart(2, '0')}-01`)
  const parts: QueryPart[] = []
  if (monthStart(firstMonth) > first) parts.push({ table: 'daily', from: first, to: monthStart(firstMonth) })
  parts.push({ table: 'monthly', from: firstMonth, to: lastMonth + 1 })
  if (monthStart(lastMonth + 1) <= last) parts.push({ table: 'daily', from: monthStart(lastMonth + 1), to: last + 1 })
  return parts
}
