import { personalData } from '../../shared/personal-data.js'
import { CATEGORY } from '../../shared/protocol.js'
import { createCookieJar } from '../cookies.js'
import { checkSite, fail, pageSite } from '../options.js'
import type { Collector } from '../transport.js'
import { type CookieMatch, clearCookies } from './clear.js'
import { countDecision } from './counts.js'
import { createScriptGate, gateFrames } from './gating.js'
import { consentMode } from './gcm.js'
import { en, es, FETCHED, fetchStrings, pickLanguage, type Strings } from './i18n.js'
import { optOutSignal, type SignalOptions } from './signals.js'
import { type Choice, consentCookie, readChoice, writeChoice } from './state.js'
import { createUi, type Ui } from './ui.js'

/** Words in one language, or per language code (`{ en: 'Videos', es: 'Vídeos' }`). */
export type ConsentText = string | Readonly<Record<string, string>>

/** An optional category the site declares besides the built-in `analytics`. */
export interface ConsentCategory {
  /** Lowercase letters, digits, `_` and `-`, e.g. `marketing`; `analytics` adjusts the built-in one. */
  id: string
  label?: ConsentText
  description?: ConsentText
  /** The cookies its scripts write, by name or pattern: deleted at once when it is not granted. */
  cookies?: readonly CookieMatch[]
}

export interface ConsentConfig extends SignalOptions {
  /** Optional categories besides `analytics`, at most 4, in a fixed order (append new ones and raise the revision). */
  categories?: readonly ConsentCategory[]
  /** Policy revision, an integer 0 to 9999 (default 0): raising it asks everyone again. */
  revision?: number
  /** Months a choice (consent or refusal) is remembered: 1 to 13, default 6. */
  months?: number
  /** Language code to show; default from `<html lang>`, then the browser's languages, then `en`. */
  lang?: string
  /** More languages, or replacements, by code: `{ fr: { title: …, … } }`. */
  languages?: Readonly<Record<string, Strings>>
  /**
   * Where to fetch the EU languages not in hand (`bg`, `cs`, … `sv`) from, e.g.
   * `(code) => `/assets/quietcount/lang/${code}.json``; the script build fetches them from its own
   * folder. Until the file arrives nothing is shown; if it fails, the banner shows in English.
   */
  languageUrl?: (code: string) => string
  /** Address of the privacy policy, linked from the banner and the dialog. */
  policy?: string
  /** Show a floating button that reopens the preferences once the visitor has chosen. */
  button?: boolean
  /** Google Consent Mode v2 bridge: `true`, or the category that governs ads (default `marketing`). */
  gcm?: boolean | string
  /** Send each decision as an aggregated, cookieless count to the collector. */
  counts?: boolean
  /** Site id for consent counts (default the page's host, `www.` dropped). */
  site?: string
  /** Collector for consent counts (default `/api/collect` on this origin). */
  collector?: Collector
}

export interface Consent {
  /** Whether `category` is granted now; `necessary` always is. */
  granted(category: string): boolean
  /** Whether the visitor has made a choice that still counts (this revision, within its lifetime). */
  decided(): boolean
  /** Calls `fn` with every optional category, granted or not, after each decision; returns the unsubscribe. */
  on(event: 'change', fn: (choice: Readonly<Choice>) => void): () => void
  acceptAll(): void
  rejectAll(): void
  /** Grants or refuses the categories named; the others keep their current state. */
  set(choice: Readonly<Choice>): void
  /** Opens the preferences dialog, e.g. from a "Cookie settings" link in the footer. */
  showPreferences(): void
}

const text = (value: ConsentText | undefined, lang: string, fallback: string) => (typeof value === 'string' ? value : (value?.[lang] ?? value?.en ?? fallback))

/**
 * Creates the consent manager: reads the stored choice, shows the banner when there is none,
 * runs and unblocks gated content as categories are granted, and tells listeners.
 *
 * @example
 * const consent = createConsent({ categories: [{ id: 'media', label: { en: 'Videos', es: 'Vídeos' }, cookies: [/^yt-/] }] })
 * consent.on('change', () => tracker.consent(consent.granted('analytics')))
 */
export function createConsent(config: ConsentConfig = {}): Consent {
  const listeners = new Set<(choice: Readonly<Choice>) => void>()
  const { categories: extra = [], revision = 0, months = 6 } = config
  if (!Array.isArray(extra) || extra.length > 4) fail('categories', extra, 'a list of at most 4 categories besides analytics')
  // The collector refuses consent counts naming a category that looks like personal data (gate.ts), so it is refused here first.
  for (const { id } of extra)
    if (!CATEGORY.test(id) || id === 'necessary' || personalData(id)) fail('category id', id, `${CATEGORY}, not "necessary" and nothing like personal data`)
  if (!Number.isInteger(revision) || revision < 0 || revision > 9999) fail('revision', revision, 'an integer from 0 to 9999')
  if (!Number.isInteger(months) || months < 1 || months > 13) fail('months', months, 'an integer from 1 to 13')
  const site = config.site ?? (typeof location === 'object' ? pageSite() : '')
  if (config.counts) checkSite(site)

  const declared = [{ id: 'analytics' }, ...extra.filter(({ id }) => id !== 'analytics')].map((c) => ({ ...c, ...extra.find(({ id }) => id === c.id) }))
  const ids = declared.map(({ id }) => id)
  if (new Set(ids).size < ids.length) fail('categories', ids, 'distinct ids')

  // Server-side rendering: nothing to show, nothing granted.
  if (typeof document === 'undefined') {
    const inert = () => {}
    return { granted: (c) => c === 'necessary', decided: () => false, on: () => inert, acceptAll: inert, rejectAll: inert, set: inert, showPreferences: inert }
  }

  let [lang, strings] = pickLanguage({ en, es, ...config.languages }, config.lang, config.languageUrl ? FETCHED : [])
  const fetched =
    !strings &&
    fetchStrings(config.languageUrl!(lang)).then(
      (loaded) => void (strings = loaded),
      (why) => {
        console.warn(`quietcount: consent language ${lang}: ${why}; showing en`)
        strings = en
        lang = 'en'
      },
    )
  const cookie = consentCookie(ids.length, revision, Math.floor(months * 30.5))
  const jar = createCookieJar([cookie], () => true)
  const signal = optOutSignal(config)
  let choice = readChoice(jar, cookie, ids)
  const granted = (category: string) => category === 'necessary' || (!signal && !!choice?.[category])
  const current = () => Object.fromEntries(ids.map((id) => [id, granted(id)]))
  const ads = typeof config.gcm === 'string' ? config.gcm : undefined

  let ui: Ui | undefined
  const runScripts = createScriptGate(granted)
  /** Makes the page match the choice: cookies of refused categories gone, granted content running. */
  const apply = () => {
    clearCookies(declared.flatMap((category) => (granted(category.id) ? [] : (category.cookies ?? []))))
    if (!ui) return
    gateFrames(granted, (needed) => ui!.placeholder(needed.map((id) => labelOf(id)).join(', '), () => set(Object.fromEntries(needed.map((id) => [id, true])))))
    void runScripts()
  }
  const labelOf = (id: string) => {
    const category = declared.find((c) => c.id === id)
    return text(category?.label, lang, id === 'analytics' ? strings!.analytics : id)
  }

  const decide = (next: boolean | Readonly<Choice>) => {
    const merged: Choice = typeof next === 'boolean' ? {} : { ...current(), ...next }
    for (const id in merged) if (!ids.includes(id)) fail('category', id, `one of ${ids.join(', ')}`)
    const chosen = (choice = Object.fromEntries(ids.map((id) => [id, next === true || !!merged[id]])))
    writeChoice(jar, cookie, ids, chosen)
    if (config.counts) countDecision(chosen, site, config.collector ?? '/api/collect')
    if (config.gcm) consentMode(current(), 'update', ads)
    ui?.banner(false)
    ui?.reopen(!!config.button)
    apply()
    const now = current()
    for (const fn of listeners) fn(now)
  }
  const set = (next: Readonly<Choice>) => decide(next)

  if (config.gcm) consentMode(current(), 'default', ads)
  apply()
  const start = () => {
    ui = createUi({
      lang,
      strings: strings!,
      signal,
      policy: config.policy,
      categories: declared.map(({ id, description }) => ({
        id,
        label: labelOf(id),
        text: text(description, lang, id === 'analytics' ? strings!.analyticsText : ''),
      })),
      current,
      decide,
    })
    // Under an opt-out signal the answer is known: no banner, the dialog explains.
    ui.banner(!choice && !signal)
    ui.reopen(!!config.button && (!!choice || signal))
    apply()
  }
  // A language being fetched: nothing is shown until it is here (no English to replace).
  const begin = () => (fetched ? void fetched.then(start) : start())
  // While the page still loads, in a task of its own: the banner is then laid out on its own
  // rather than with the whole page in the script's task (no long task).
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin)
  else if (document.readyState === 'complete') begin()
  else setTimeout(begin)

  return {
    granted,
    decided: () => !!choice,
    on: (_, fn) => {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    acceptAll: () => decide(true),
    rejectAll: () => decide(false),
    set,
    showPreferences: () => ui?.preferences(),
  }
}

export type { CookieMatch } from './clear.js'
export type { Strings } from './i18n.js'
export type { Choice } from './state.js'
