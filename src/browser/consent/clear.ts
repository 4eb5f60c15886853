/** A cookie name, or a pattern that cookie names are searched with (its `g` flag is ignored). */
export type CookieMatch = string | RegExp

/**
 * Deletes at once every cookie of this page whose name matches. A script may have written it
 * for this host or for a parent domain (`.example.org`), which `document.cookie` does not tell:
 * expire it on each, since a write for the wrong domain is simply ignored. Cookies with a path
 * other than `/` are invisible here unless the page is under it, and so are HttpOnly ones.
 */
export function clearCookies(matches: readonly CookieMatch[]): void {
  // Reading document.cookie is a round trip to the browser's cookie store: not for nothing.
  if (!matches.length) return
  const parts = location.hostname.split('.')
  for (const pair of document.cookie.split('; ')) {
    const name = pair.split('=')[0]!
    if (name && matches.some((m) => (typeof m === 'string' ? m === name : name.search(m) >= 0))) {
      for (let i = 0; i <= parts.length; i++)
        // biome-ignore lint/suspicious/noDocumentCookie: these are cookies third-party scripts set, which js-cookie does not know; only a raw write can expire them on each domain
        document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/${i < parts.length ? `; domain=${parts.slice(i).join('.')}` : ''}`
    }
  }
}
