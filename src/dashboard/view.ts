import { BREAKDOWNS } from '../shared/dimensions.js'

/**
 * What the dashboard's two scripts share: the view in the address (site, range, filters), the
 * token's place, and the two stats requests a view is. prefetch.ts sends those requests before
 * the bundle has even been parsed; app.ts reads their answers.
 */

export const TOKEN_KEY = 'quietcount-token'
/** The share link of a /share/<link> page. */
export const shareLink = /^\/share\/([\w-]+)$/.exec(location.pathname)?.[1]
export const statsPath = shareLink ? `/api/share/${shareLink}` : '/api/stats'
export const view = () => new URLSearchParams(location.search)
export const token = () => sessionStorage.getItem(TOKEN_KEY)

/** The query of the current view: range and filters, without the token. */
export function viewQuery(extra: Record<string, string> = {}) {
  const params = new URLSearchParams()
  const current = view()
  if (!shareLink) params.set('site', current.get('site') ?? '')
  const period = current.get('period') ?? '7d'
  params.set('period', period)
  if (period === 'custom') for (const key of ['from', 'to']) params.set(key, current.get(key) ?? '')
  for (const filter of current.getAll('filter')) params.append('filter', filter)
  for (const [key, value] of Object.entries(extra)) params.set(key, value)
  return params
}

/** A view's two requests: the top line and the chart, then every panel. */
export const VIEW = {
  main: { include: 'metrics,timeseries', compare: 'previous' },
  panels: { include: 'none', breakdown: BREAKDOWNS.map((b) => b.name).join(','), limit: '10' },
}

/** A GET of the API with the token (none on a share link). */
export const send = (path: string, params: URLSearchParams, bearer = token()) =>
  fetch(`${path}?${params}`, { headers: bearer && !shareLink ? { authorization: `Bearer ${bearer}` } : {} })

/** The requests prefetch.ts sent for the address `search`. */
export interface Prefetched {
  search: string
  main: Promise<Response>
  panels: Promise<Response>
}
export type PrefetchWindow = typeof window & { quietcountPrefetch?: Prefetched }
