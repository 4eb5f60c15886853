import uPlot from 'uplot'
import { BREAKDOWNS, type BreakdownSpec, dimension, PANEL_COLUMNS, type PanelColumn } from '../shared/dimensions.js'
import { statsCsv } from '../shared/stats-csv.js'
import type { BreakdownResult, BreakdownRow, ImportedRange, Metrics, StatsResult } from '../shared/stats-types.js'
import { type PrefetchWindow, viewQuery as query, send, shareLink as share, statsPath, TOKEN_KEY, token, VIEW, view } from './view.js'

/**
 * The site owner's dashboard: one page of plain DOM that reads the stats API. Everything that
 * comes from data is set as text (textContent, option.text), never parsed as HTML. The view
 * (site, range, filters) lives in the URL so it can be bookmarked; the token lives in
 * sessionStorage, never in a URL. Under /share/<link> it reads the public share API instead,
 * without a token: complete days only, the link's panels, and figures the collector made
 * approximate (differential privacy), which the page says with their typical error.
 */

const PERIODS: [string, string][] = [
  ['today', 'Today'],
  ['yesterday', 'Yesterday'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['month', 'This month'],
  ['last-month', 'Last month'],
  ['12mo', 'Last 12 months'],
  ['custom', 'Custom range'],
]

/** Breakdown panels, from the registry: the API's breakdown with its title and columns, and the filter a click on a row sets. */
const PANELS: [spec: BreakdownSpec, filter?: string][] = BREAKDOWNS.map((b) => [b, dimension(b.dimension).filter ? b.dimension : undefined])

const METRICS: [key: keyof Metrics, label: string, format: (n: number) => string][] = [
  ['visitors', 'Visitors', (n) => n.toLocaleString('en')],
  ['visits', 'Visits', (n) => n.toLocaleString('en')],
  ['pageviews', 'Page views', (n) => n.toLocaleString('en')],
  ['views_per_visit', 'Views per visit', (n) => n.toFixed(2)],
  ['avg_engagement_seconds', 'Average engagement', (n) => (n >= 60 ? `${Math.floor(n / 60)} min ${Math.round(n % 60)} s` : `${Math.round(n)} s`)],
]

/** What a null figure means (stats-types.ts Figure). */
const NOT_KNOWN = 'Not known: an import in this range has no such count'

/** Creates an element with text content and attributes; the only way this page makes DOM. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

const app = document.getElementById('app')!

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function read<T>(sent: Promise<Response>): Promise<T> {
  const response = await sent
  const body = (await response.json()) as T & { message?: string }
  if (!response.ok) throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`)
  return body
}
const api = <T>(path: string, params: URLSearchParams, bearer = token()) => read<T>(send(path, params, bearer))

function navigate(change: (params: URLSearchParams) => void) {
  const params = view()
  change(params)
  history.pushState(null, '', `${location.pathname}?${params}`)
  void render()
}
addEventListener('popstate', () => void render())

function signIn(message?: string) {
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', required: '', spellcheck: 'false' })
  const form = el(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'QuietCount'),
    el('p', {}, 'Sign in with a read token of a site, or the admin token (quietcount tokens create).'),
    el('label', { for: 'token' }, 'Token'),
    input,
    el('button', { type: 'submit' }, 'Sign in'),
  )
  if (message) form.append(el('p', { class: 'error', role: 'alert' }, message))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const { sites } = await api<{ sites: { id: string }[] }>('/api/sites', new URLSearchParams(), input.value.trim())
      sessionStorage.setItem(TOKEN_KEY, input.value.trim())
      if (!view().get('site') && sites[0]) navigate((p) => p.set('site', sites[0]!.id))
      else void render()
    } catch (error) {
      signIn(error instanceof ApiError && error.status === 401 ? 'That token was refused: check it and try again.' : (error as Error).message)
    }
  })
  app.replaceChildren(form)
  input.focus()
}

let realtimeTimer: ReturnType<typeof setInterval> | undefined

async function render() {
  clearInterval(realtimeTimer)
  if (!share && !token()) return signIn()
  // A view is two requests, sent together: the top line and the chart, then every panel. When
  // the address names the site they go out at once, beside the site list; on the first view
  // prefetch.ts sent them already.
  const ask = () => {
    const w = window as PrefetchWindow
    const prefetched = w.quietcountPrefetch?.search === location.search ? w.quietcountPrefetch : undefined
    w.quietcountPrefetch = undefined
    const asked = {
      main: read<StatsResult>(prefetched?.main ?? send(statsPath, query(VIEW.main))),
      breakdowns: read<StatsResult>(prefetched?.panels ?? send(statsPath, query(VIEW.panels))),
    }
    // Read below; a refused token shows as the site list's failure.
    asked.main.catch(() => {})
    asked.breakdowns.catch(() => {})
    return asked
  }
  let asked = share || view().get('site') ? ask() : undefined
  let sites: { id: string }[] = []
  if (!share) {
    try {
      sites = (await api<{ sites: { id: string }[] }>('/api/sites', new URLSearchParams())).sites
    } catch {
      sessionStorage.removeItem(TOKEN_KEY)
      return signIn('The token is no longer accepted; sign in again.')
    }
    if (!view().get('site') && sites[0]) return navigate((p) => p.set('site', sites[0]!.id))
  }
  app.replaceChildren(header(sites), filterBar(), el('p', { class: 'loading', role: 'status' }, 'Loading…'))
  asked ??= ask()
  try {
    const result = await asked.main
    // A share link shows its own panels only.
    const shown = PANELS.filter(([spec]) => !result.public || (result.public.panels as string[]).includes(spec.name))
    const panels = el('div', { class: 'panels' }, ...shown.map(([spec, filter]) => panel(asked!.breakdowns, spec, filter)))
    app.replaceChildren(header(sites, result.site), filterBar(), approximate(result), imported(result), topLine(result), realtime(), chart(result), panels)
  } catch (error) {
    app.replaceChildren(header(sites), filterBar(), el('p', { class: 'error', role: 'alert' }, (error as Error).message))
  }
}

/** On a share link: that the figures are approximate, and by how much. */
function approximate(result: StatsResult) {
  const view = result.public
  if (!view) return document.createTextNode('')
  const figure = (n: number) => Math.round(n).toLocaleString('en')
  return el(
    'p',
    { class: 'approximate', role: 'note' },
    `Figures are approximate, to protect each visitor's privacy: a day's page views are within about ±${figure(view.error.day.pages)} (one standard deviation), ` +
      `this range's total within ±${figure(view.error.range.pages)}. Pages, referrers and other lists show only values counted at least about ${figure(view.threshold.pages)} times in this range.`,
  )
}

function header(sites: { id: string }[], shared?: string) {
  const current = view()
  const controls = el('div', { class: 'controls' })
  if (!share) {
    const picker = el('select', { id: 'site' }, ...sites.map((s) => new Option(s.id, s.id, false, s.id === current.get('site'))))
    picker.addEventListener('change', () =>
      navigate((p) => {
        p.set('site', picker.value)
        p.delete('filter')
      }),
    )
    controls.append(el('label', { for: 'site' }, 'Site'), picker)
  }
  // A share link shows complete days: no "Today".
  const periods = share ? PERIODS.filter(([value]) => value !== 'today') : PERIODS
  const period = el('select', { id: 'period' }, ...periods.map(([value, label]) => new Option(label, value, false, value === (current.get('period') ?? '7d'))))
  period.addEventListener('change', () => {
    if (period.value !== 'custom') {
      return navigate((p) => {
        p.set('period', period.value)
        p.delete('from')
        p.delete('to')
      })
    }
    const today = new Date().toISOString().slice(0, 10)
    // A share link takes whole months that have ended: the last one (day 0 of this month is its last day) to begin with.
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 0)).toISOString().slice(0, 10)
    navigate((p) => {
      p.set('period', 'custom')
      p.set('from', p.get('from') ?? (share ? `${lastMonth.slice(0, 7)}-01` : today))
      p.set('to', p.get('to') ?? (share ? lastMonth : today))
    })
  })
  controls.append(el('label', { for: 'period' }, 'Date range'), period)
  if (current.get('period') === 'custom') {
    for (const key of ['from', 'to']) {
      const value = current.get(key) ?? ''
      const input = el('input', { id: key, type: share ? 'month' : 'date', value: share ? value.slice(0, 7) : value })
      const picked = () => (!share ? input.value : key === 'from' ? `${input.value}-01` : monthEnd(input.value))
      input.addEventListener('change', () => input.value && navigate((p) => p.set(key, picked())))
      controls.append(el('label', { for: key }, key === 'from' ? 'From' : 'To'), input)
    }
  }
  if (!share) {
    const out = el('button', { type: 'button', class: 'quiet' }, 'Sign out')
    out.addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY)
      signIn()
    })
    controls.append(out)
  }
  return el('header', {}, el('h1', {}, share ? `${shared ?? 'QuietCount'}: shared statistics` : 'QuietCount'), controls)
}

/** The last day of a month `YYYY-MM`. */
const monthEnd = (month: string) => new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).toISOString().slice(0, 10)

function filterBar() {
  const filters = view().getAll('filter')
  const bar = el('ul', { class: 'filters', 'aria-label': 'Filters' })
  for (const filter of filters) {
    const [name, ...value] = filter.split(':')
    const remove = el('button', { type: 'button', 'aria-label': `Remove filter ${name} ${value.join(':')}` }, `${name}: ${value.join(':')} ✕`)
    remove.addEventListener('click', () =>
      navigate((p) => {
        const kept = p.getAll('filter').filter((f) => f !== filter)
        p.delete('filter')
        for (const f of kept) p.append('filter', f)
      }),
    )
    bar.append(el('li', {}, remove))
  }
  return bar
}

const SOURCES = { plausible: 'Plausible', goatcounter: 'GoatCounter' }
const spans = (list: ImportedRange[]) => list.map((i) => `${SOURCES[i.source]}, ${i.from} – ${i.to}`).join('; ')

/** Which days of the range hold counts imported from another tool: their figures mean what that tool counted. */
function imported(result: StatsResult) {
  if (!result.imported?.length) return document.createTextNode('')
  return el('p', { class: 'imported', role: 'note' }, `Includes counts imported from ${spans(result.imported)}.`)
}

function topLine(result: StatsResult) {
  if (!result.metrics) return el('p', { class: 'unavailable', role: 'status' }, result.unavailable?.metrics ?? '')
  const list = el('dl', { class: 'top-line' })
  for (const [key, label, format] of METRICS) {
    const value = result.metrics[key]
    // A share link leaves out what noise cannot hide (engagement).
    if (value === undefined) continue
    const previous = result.previous?.metrics?.[key]
    const change = value !== null && previous ? Math.round(((value - previous) / previous) * 100) : undefined
    list.append(
      el(
        'div',
        { class: 'metric' },
        el('dt', {}, label),
        el('dd', { 'data-metric': key, ...(value === null && { title: NOT_KNOWN }) }, value === null ? '—' : format(value)),
        el('dd', { class: 'change' }, change === undefined ? (value === null ? 'not known' : 'no earlier data') : `${change >= 0 ? '+' : ''}${change}% vs previous period`),
      ),
    )
  }
  return list
}

function realtime() {
  const figure = el('p', { class: 'realtime', 'aria-live': 'polite' })
  if (share) return figure
  const update = async () => {
    try {
      const recent = await api<{ visits: number; pageviews: number }>('/api/realtime', new URLSearchParams({ site: view().get('site') ?? '' }))
      figure.replaceChildren(el('strong', { 'data-realtime': '' }, String(recent.visits)), ` visits started and ${recent.pageviews} page views in the last 5 minutes`)
    } catch {
      figure.textContent = ''
    }
  }
  void update()
  realtimeTimer = setInterval(update, 15_000)
  return figure
}

/** Bucket labels (2026-11-23, 2026-11-23T14, 2026-11) as UTC seconds, drawn in UTC so they read as the site's local time. */
const bucketTime = (bucket: string) => Date.parse(bucket.length === 7 ? `${bucket}-01T00:00:00Z` : bucket.length === 10 ? `${bucket}T00:00:00Z` : `${bucket}:00:00Z`) / 1000

/** A tooltip that follows the cursor: the bucket and its figures, as text. */
function tooltip(result: StatsResult): uPlot.Plugin {
  const tip = el('div', { class: 'tip', hidden: '' })
  return {
    hooks: {
      init: (u) => void u.over.append(tip),
      setCursor: (u) => {
        const i = u.cursor.idx
        const b = typeof i === 'number' ? result.timeseries?.[i] : undefined
        tip.hidden = !b
        if (!b) return
        tip.replaceChildren(
          el('strong', {}, b.bucket.replace('T', ' ') + (result.interval === 'hour' ? ':00' : '')),
          el('br'),
          `Visitors ${b.visitors ?? '—'}`,
          el('br'),
          `Page views ${b.pageviews ?? '—'}`,
        )
        // Positions through the CSSOM, which a strict style-src allows (unlike style="" attributes).
        tip.style.left = `${Math.min(u.cursor.left! + 12, u.over.clientWidth - tip.offsetWidth)}px`
        tip.style.top = `${Math.max(0, u.cursor.top! - 40)}px`
      },
    },
  }
}

function chart(result: StatsResult) {
  if (!result.timeseries) return el('p', { class: 'unavailable', role: 'status' }, result.unavailable?.timeseries ?? '')
  const series = result.timeseries
  const box = el('figure', { class: 'chart', role: 'img', 'aria-label': `Visitors and page views by ${result.interval}, ${result.from} to ${result.to}` })
  const draw = () => {
    const plot = new uPlot(
      {
        width: Math.max(280, box.clientWidth - 8),
        height: 240,
        plugins: [tooltip(result)],
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [
          { label: result.interval === 'hour' ? 'Hour' : result.interval === 'day' ? 'Day' : 'Month' },
          { label: 'Visitors', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.08)' },
          { label: 'Page views', stroke: '#c2410c', width: 2 },
        ],
        axes: [
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        ],
      },
      [series.map((b) => bucketTime(b.bucket)), series.map((b) => b.visitors), series.map((b) => b.pageviews)],
      box,
    )
    return plot
  }
  // Drawn once the box is in the document and has a width.
  requestAnimationFrame(() => box.isConnected && draw())
  return box
}

function panel(answer: Promise<StatsResult>, { name: breakdown, title, weight }: BreakdownSpec, filter?: string) {
  const section = el('section', { class: 'panel', 'aria-labelledby': `panel-${breakdown}` })
  const exportButton = el('button', { type: 'button', class: 'quiet', 'aria-label': `Export ${title} as CSV` }, 'CSV')
  section.append(el('div', { class: 'panel-head' }, el('h2', { id: `panel-${breakdown}` }, title), exportButton), el('p', { role: 'status' }, 'Loading…'))
  void answer.then(
    (result) => {
      const part: BreakdownResult = result.breakdowns?.[breakdown as keyof typeof result.breakdowns] ?? { rows: [] }
      // A part the range cannot answer says why, in the panel, instead of showing a partial figure.
      if (part.unavailable) return section.lastElementChild!.replaceWith(el('p', { class: 'unavailable' }, part.unavailable))
      exportButton.addEventListener('click', () => download(`${result.site}-${breakdown}-${result.from}-${result.to}.csv`, statsCsv({ breakdown: part })))
      section.lastElementChild!.replaceWith(part.rows.length ? table(PANEL_COLUMNS[weight], part.rows, filter) : el('p', { class: 'empty' }, 'Nothing counted in this range.'))
      // An import with nothing for this panel: its days count here only what QuietCount counted.
      const lacking = result.imported?.filter((i) => (i.lacks as string[]).includes(breakdown)) ?? []
      if (lacking.length) section.append(el('p', { class: 'imported' }, `Not in the import from ${spans(lacking)}: those days show only what QuietCount counted.`))
    },
    (error: Error) => section.lastElementChild!.replaceWith(el('p', { class: 'error' }, error.message)),
  )
  return section
}

function table(columns: readonly PanelColumn[], rows: BreakdownRow[], filter?: string) {
  const body = el('tbody')
  for (const row of rows) {
    // A browser version reads under its browser ("Chrome 131"), a property under its event.
    const text = (row.parent === undefined ? '' : `${row.parent || '(none)'} `) + (row.value || '(none)')
    let label: Node = document.createTextNode(text)
    // A row is a filter, except "(other)" (several values) and consent decisions (no such filter).
    if (filter && row.value !== '(other)') {
      const button = el('button', { type: 'button', class: 'row-filter', title: `Filter by ${filter} ${row.value || '(none)'}` }, text)
      button.addEventListener('click', () =>
        navigate((p) => {
          // A share link takes one filter (its figures are one dimension at a time); a signed-in view combines them.
          const others = share ? [] : p.getAll('filter').filter((f) => !f.startsWith(`${filter}:`))
          p.delete('filter')
          for (const f of [...others, `${filter}:${row.value}`]) p.append('filter', f)
        }),
      )
      label = button
    }
    body.append(
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, label),
        ...columns.map(([key]) =>
          row[key] === null ? el('td', { title: NOT_KNOWN }, '—') : el('td', {}, key === 'rate' ? `${Math.round((row.rate ?? 0) * 100)}%` : String(row[key] ?? '')),
        ),
      ),
    )
  }
  return el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Value'), ...columns.map(([, label]) => el('th', { scope: 'col' }, label)))), body)
}

function download(name: string, text: string) {
  const link = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: name })
  document.body.append(link)
  link.click()
  link.remove()
}

void render()
