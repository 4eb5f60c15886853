export interface SignalOptions {
  /** Let optional categories be granted even when the browser sends Global Privacy Control. */
  ignoreGpc?: boolean
  /** Let optional categories be granted even when the browser sends Do Not Track. */
  ignoreDnt?: boolean
}

/**
 * Whether the browser asks not to be tracked, by a signal the site honours. GPC is a valid
 * opt-out that needs no further question and wins over a stored choice (11 CCR §7025), so
 * while it is on, every optional category is off. The same options of the tracker read alike.
 */
export function optOutSignal(options: SignalOptions): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean }
  return (!options.ignoreGpc && !!nav.globalPrivacyControl) || (!options.ignoreDnt && nav.doNotTrack === '1')
}
