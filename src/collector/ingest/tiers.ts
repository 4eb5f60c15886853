import { dimensionsOf } from '../../shared/dimensions.js'
import type { ConsentRecord } from '../../shared/protocol.js'
import { type Row, TOTAL } from '../schema.js'

/**
 * How one record is counted in each tier: its detail row (whole tuple, for the detail window),
 * its hour's totals, and one marginal row per dimension per site-local day and month. The
 * marginal rows are where no attribute meets another: each holds one dimension's value.
 */

/** The site-local day and month of the hour being counted (time-zone.ts's calendar()). */
export interface CountedDay {
  day: number
  month: number
}

const PAGE_DIMENSIONS = dimensionsOf('pages')
// `prop` has no detail column of its own: its pairs come from the `props` object below.
const EVENT_DIMENSIONS = dimensionsOf('events').filter((d) => d.detail)

/**
 * The rows of every tier for detail-shaped rows (`detail_pages`, `detail_events`) of one hour.
 * With `keepDetail` false (the site keeps no detail, or the counts are imported) the detail
 * rows are left out and the totals say so in `undetailed`, so that this hour is never answered
 * from a detail tier that lacks it.
 */
export function tierRows(detail: Row[], { day, month }: CountedDay, keepDetail: boolean): Row[] {
  const rows: Row[] = []
  for (const row of detail) {
    const { site } = row
    const marginal = (dimension: string, parent: string, value: string, counts: Record<string, number>) => {
      const dims = { dimension, parent, value }
      rows.push({ table: 'daily', site, time: day, dims, counts }, { table: 'monthly', site, time: month, dims, counts })
    }
    if (keepDetail) rows.push(row)
    const pages = row.table === 'detail_pages'
    const counts = pages ? row.counts : { events: row.counts.events ?? 0 }
    rows.push({ table: 'totals', site, time: row.time, dims: {}, counts: { ...counts, undetailed: keepDetail ? 0 : 1 } })
    marginal(TOTAL.dimension, '', '', counts)
    for (const d of pages ? PAGE_DIMENSIONS : EVENT_DIMENSIONS) marginal(d.name, d.parent ? row.dims[d.parent]! : '', row.dims[d.name] ?? '', counts)
    if (!pages) {
      // An event's name with one of its props is one attribute: "Signup" with plan=pro.
      for (const [key, value] of Object.entries(JSON.parse(row.dims.props || '{}') as Record<string, string>)) marginal('prop', row.dims.name!, `${key}=${value}`, counts)
    }
  }
  return rows
}

/** A consent decision is counted alone, with nothing of a page or a browser: its kind, and per category granted or refused. */
export function consentRows(site: string, consents: readonly ConsentRecord[], { day, month }: CountedDay): Row[] {
  const rows: Row[] = []
  const marginal = (dimension: string, value: string, decisions: number) => {
    const dims = { dimension, parent: '', value }
    rows.push({ table: 'daily', site, time: day, dims, counts: { decisions } }, { table: 'monthly', site, time: month, dims, counts: { decisions } })
  }
  for (const consent of consents) {
    marginal('decision', consent.decision, consent.count)
    for (const [category, granted] of Object.entries(consent.categories)) marginal('category', `${category}:${granted ? 'granted' : 'refused'}`, consent.count)
  }
  return rows
}
