/** localStorage key of the site owner's "do not count this browser" switch. */
export const EXCLUDE_KEY = 'quietcount_exclude'

export interface ExclusionOptions {
  ignoreGpc?: boolean
  ignoreDnt?: boolean
  allowLocalhost?: boolean
  allowAutomation?: boolean
}

/**
 * Why this browser must not be counted now, or undefined. Checked before anything is stored or
 * sent, so that under Global Privacy Control, Do Not Track, the owner's switch, on localhost or in
 * an automated browser the tracker writes no cookie and makes no request at all.
 */
export function blockReason(options: ExclusionOptions): string | undefined {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean }
  let excluded: string | null | undefined
  try {
    excluded = localStorage.getItem(EXCLUDE_KEY)
  } catch {}
  return excluded
    ? 'excluded browser'
    : !options.ignoreGpc && nav.globalPrivacyControl
      ? 'Global Privacy Control'
      : !options.ignoreDnt && nav.doNotTrack === '1'
        ? 'Do Not Track'
        : !options.allowAutomation && nav.webdriver
          ? 'automated browser'
          : !options.allowLocalhost && /^(localhost|127(\.\d+){3}|\[::1]|.*\.localhost|)$/.test(location.hostname)
            ? 'localhost'
            : undefined
}

/** The owner's switch: excludes this browser from counting, or includes it again (localStorage). */
export function exclude(excluded: boolean): void {
  try {
    excluded ? localStorage.setItem(EXCLUDE_KEY, '1') : localStorage.removeItem(EXCLUDE_KEY)
    console.info(`quietcount: this browser is ${excluded ? '' : 'no longer '}excluded`)
  } catch {}
}
