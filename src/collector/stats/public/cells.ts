import type { RecordKind } from '../../../shared/dimensions.js'
import type { ShareLink } from '../../sites/sites.js'
import { dateOfDay, dayNumber } from '../../sites/time-zone.js'
import { dayUniforms, discreteLaplace, seriesKey } from './noise.js'
import { kindOfCounter, type Release } from './release.js'

/**
 * The noise of a link's cells, summed over days. A cell is one source of counts (the site, or
 * one import), day, family, value and counter; its noise is drawn from the link's seed and the
 * cell's name alone (noise.ts), so a figure over a range is the same sum whoever asks and
 * however the range is cut. Sums over whole months are remembered: they never change.
 */

/** The cells of one figure: a family's value and a counter, in every source and day it covers. */
export interface Series {
  family: string
  parent: string
  value: string
  counter: string
}

/** A source of counts and the days [from, to) it has cells for: the site every day, an import its own days. */
export interface Source {
  key: string
  from: number
  to: number
}

/** Month sums remembered, across links; cleared when full (a recomputation is all that costs). */
const MONTHS_HELD = 300_000
const months = new Map<string, number>()

/** A text as part of a cell's name: its length first, so that no value can make two names equal. */
const part = (text: string) => `${text.length}:${text}`

/** The first day of the month of `day`, and of the next month (day numbers). */
function monthOf(day: number): { first: number; next: number } {
  const date = dateOfDay(day)
  const [y, m] = [Number(date.slice(0, 4)), Number(date.slice(5, 7))]
  return { first: dayNumber(`${date.slice(0, 8)}01`), next: Date.UTC(y, m, 1) / 86_400_000 }
}

export type Noise = (series: Series, sources: readonly Source[], from: number, to: number) => number

/** The summed noise of a link's cells of `series` over the days [from, to) of every source. */
export function noiseOf(link: ShareLink, release: Release): Noise {
  const seed = Buffer.from(link.seed, 'base64url')
  /** The noise of each day of [from, to) of one source's series, drawn with one key and one cipher call. */
  const days = (name: string, kind: RecordKind, from: number, to: number) => {
    const uniforms = dayUniforms(seriesKey(seed, name), from, to)
    let sum = 0
    for (let day = from; day < to; day++) sum += discreteLaplace(uniforms(day), release.scale[kind])
    return sum
  }
  return (series, sources, from, to) => {
    const kind = kindOfCounter(series.counter)
    let total = 0
    for (const source of sources) {
      const name = [source.key, series.family, series.parent, series.value, series.counter].map(part).join('')
      const start = Math.max(from, source.from)
      const end = Math.min(to, source.to)
      // Whole months from the remembered sums; the days around them drawn now.
      let day = start
      while (day < end) {
        const { first, next } = monthOf(day)
        const stop = Math.min(next, end)
        if (first === day && next <= end) {
          const key = `${link.seed} ${name} ${first}`
          let sum = months.get(key)
          if (sum === undefined) {
            if (months.size >= MONTHS_HELD) months.clear()
            months.set(key, (sum = days(name, kind, first, next)))
          }
          total += sum
        } else total += days(name, kind, day, stop)
        day = stop
      }
    }
    return total
  }
}
