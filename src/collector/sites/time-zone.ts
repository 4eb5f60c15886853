/** Date arithmetic in a site's time zone, on whole UTC hours (how counts are stored). */

const HOUR = 3_600_000
const formats = new Map<string, Intl.DateTimeFormat>()
const format = (timeZone: string) => {
  let f = formats.get(timeZone)
  if (!f) formats.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })))
  return f
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    format(timeZone)
    return true
  } catch {
    return false
  }
}

/** The local date and hour of the instant `ms` in `timeZone`: `YYYY-MM-DD` and `HH`. */
export function localTime(ms: number, timeZone: string): { date: string; hour: string } {
  const parts = Object.fromEntries(
    format(timeZone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  )
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: parts.hour! }
}

/** `YYYY-MM-DD` plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10)
}

/**
 * The first whole UTC hour at or after local midnight of `date` in `timeZone`. Zones with a
 * half- or quarter-hour offset (India, Nepal) get day boundaries rounded to the hour. It walks
 * hour by hour rather than computing an offset, because some zones skip midnight itself when
 * their clocks go forward (Santiago, Havana), and then the day starts at 01:00.
 */
export function startHour(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number)
  // UTC offsets span -12 to +14 hours, so the day starts within 14 hours before to 12 after UTC midnight.
  let hour = Date.UTC(y!, m! - 1, d!) / HOUR - 14
  while (localTime(hour * HOUR, timeZone).date < date) hour++
  return hour
}

/** Today's date in `timeZone`. */
export const today = (timeZone: string, now = Date.now()) => localTime(now, timeZone).date

/**
 * Days and months as the marginal tier keys them: whole site-local days since 1970-01-01, and
 * months since January 1970 (year × 12 + month − 1), so that ranges are integer ranges.
 */
export const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000
export const dateOfDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)
export const monthNumber = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1
export const monthOfNumber = (month: number) => `${String(Math.floor(month / 12)).padStart(4, '0')}-${String((month % 12) + 1).padStart(2, '0')}`

const calendars = new Map<string, { day: number; month: number }>()

/**
 * The site-local day and month an hour is counted in: the local date at the hour's start (see
 * startHour). Remembered, as ingest asks it for every beacon and the answer changes once an hour;
 * the memory holds at most a few thousand hours and zones.
 */
export function calendar(hour: number, timeZone: string): { day: number; month: number } {
  const key = `${hour} ${timeZone}`
  let counted = calendars.get(key)
  if (!counted) {
    const { date } = localTime(hour * HOUR, timeZone)
    if (calendars.size >= 4_096) calendars.clear()
    calendars.set(key, (counted = { day: dayNumber(date), month: monthNumber(date) }))
  }
  return counted
}
