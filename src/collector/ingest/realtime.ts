/**
 * The dashboard's "last 5 minutes" figure. Stored counts are hourly, so the collector also keeps,
 * in memory only, per site and minute, the page views and the visits started. There is no
 * identifier to count people by: a visit started is the nearest honest stand-in for "visitors
 * right now", and that is what the dashboard calls it.
 */
const MINUTE = 60_000
const WINDOW = 5

export interface Recent {
  pageviews: number
  visits: number
  /** Minutes covered. */
  minutes: number
}

export function realtimeCounter() {
  // site → minute → counts; minutes older than the window are dropped on each write.
  const sites = new Map<string, Map<number, { pageviews: number; visits: number }>>()
  return {
    add(site: string, pageviews: number, visits: number, now = Date.now()) {
      const minute = Math.floor(now / MINUTE)
      const minutes = sites.get(site) ?? new Map<number, { pageviews: number; visits: number }>()
      sites.set(site, minutes)
      for (const old of minutes.keys()) if (old <= minute - WINDOW) minutes.delete(old)
      const counts = minutes.get(minute) ?? { pageviews: 0, visits: 0 }
      counts.pageviews += pageviews
      counts.visits += visits
      minutes.set(minute, counts)
    },
    /** Page views and visits started in the last five minutes (this one included). */
    recent(site: string, now = Date.now()): Recent {
      const minute = Math.floor(now / MINUTE)
      const recent = { pageviews: 0, visits: 0, minutes: WINDOW }
      for (const [at, counts] of sites.get(site) ?? []) {
        if (at > minute - WINDOW) {
          recent.pageviews += counts.pageviews
          recent.visits += counts.visits
        }
      }
      return recent
    },
  }
}
export type RealtimeCounter = ReturnType<typeof realtimeCounter>
