import { type PrefetchWindow, send, shareLink, statsPath, token, VIEW, view, viewQuery } from './view.js'

// Runs before the dashboard's bundle (index.html lists it first): when the address names the
// view, its two stats requests leave now and travel while the bundle is parsed.
if (shareLink || (token() && view().get('site'))) {
  ;(window as PrefetchWindow).quietcountPrefetch = { search: location.search, main: send(statsPath, viewQuery(VIEW.main)), panels: send(statsPath, viewQuery(VIEW.panels)) }
}
