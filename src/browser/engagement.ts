import { LIMITS, type PageRecord } from '../shared/protocol.js'

/**
 * The engagement of the current page view: visible time (only while the page is visible) and the
 * deepest scroll, in percent of the page's height. Returns `[report, measure, restart]`:
 * `report(page)` adds what was gained since the last report as a record of `views: 0` and the
 * view's identity, or, without a page (not counted yet), keeps it for the next report; `measure`
 * takes the scroll depth (on scroll); `restart(page)` reports the last view and starts over for a
 * new one.
 */
export function createEngagement(
  add: (record: PageRecord) => void,
): [report: (page: PageRecord | false | undefined) => void, measure: () => void, restart: (page: PageRecord | false | undefined) => void] {
  let visibleSince = 0
  let visibleMs = 0
  let sentSeconds = 0
  let maxScroll = 0
  let sentScroll = 0
  const measure = () => {
    const height = document.documentElement.scrollHeight
    if (height) maxScroll = Math.max(maxScroll, Math.min(100, Math.round(((scrollY + innerHeight) * 100) / height)))
  }
  const report = (page: PageRecord | false | undefined) => {
    const now = Date.now()
    if (visibleSince) visibleMs += now - visibleSince
    visibleSince = document.visibilityState === 'visible' ? now : 0
    const seconds = Math.min(Math.floor(visibleMs / 1000) - sentSeconds, LIMITS.seconds)
    if (page && seconds + maxScroll > sentScroll) {
      add({ ...page, views: 0, seconds, scroll: maxScroll - sentScroll })
      sentSeconds += seconds
      sentScroll = maxScroll
    }
  }
  const restart = (page: PageRecord | false | undefined) => {
    // The report takes the time visible up to now: from now it counts for the new view.
    report(page)
    visibleMs = sentSeconds = maxScroll = sentScroll = 0
    // Reading scrollHeight now would force a layout in the middle of page load: measure the first
    // screenful once the next frame has been laid out (a page loaded in the background: once shown).
    requestAnimationFrame(() => setTimeout(measure))
  }
  return [report, measure, restart]
}
