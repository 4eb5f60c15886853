import { HASH } from './features.js'
import type { Listen } from './tracker.js'

/**
 * Counts the first page view and follows single-page navigation: pushState and replaceState
 * (patched, undone at stop), popstate and, with hash routing, hashchange count a view when the
 * route `moved`.
 */
export function followNavigation(pageview: () => void, moved: () => boolean, hash: boolean | undefined, listen: Listen, undo: (() => void)[]): void {
  const navigated = () => moved() && pageview()
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method]
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args)
      navigated()
    }
    undo.push(() => (history[method] = original))
  }
  listen(window, 'popstate', navigated)
  if (HASH && hash) listen(window, 'hashchange', navigated)
  // A prerendered page may never be seen: count it when (if) the visitor activates it.
  if ((document as { prerendering?: boolean }).prerendering) listen(document, 'prerenderingchange', pageview)
  // While the page still loads (a deferred script runs before it is complete), the first page
  // view waits for a task of its own: the script's task and the page's first layout then stay
  // short (no long task), and nothing is sent any sooner for it anyway (flushDelay).
  else if (document.readyState === 'complete') pageview()
  else setTimeout(pageview)
}
