import { linkUrl } from '../shared/scrub-url.js'
import type { Track } from './events.js'
import { DOWNLOADS, OUTBOUND } from './features.js'
import type { Listen } from './tracker.js'

const DOWNLOAD_EXTENSIONS = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg'

export interface LinkOptions {
  outbound?: boolean
  downloads?: boolean | readonly string[]
}

/**
 * Counts clicks (left or middle button) on links to other sites as the event `Outbound Link` and
 * on file links as `File Download`, with the link's URL as the prop `url` (linkUrl).
 */
export function trackLinks(options: LinkOptions, track: Track, listen: Listen): void {
  const downloads = DOWNLOADS ? (options.downloads === true ? DOWNLOAD_EXTENSIONS.split(',') : options.downloads || []) : []
  // The feature flags stand first in each test, so that a build without the feature drops the code (features.ts).
  if (!((DOWNLOADS && downloads[0]) || (OUTBOUND && options.outbound))) return
  const onClick = (event: Event) => {
    const link = (event.target as Element).closest?.('a[href]') as HTMLAnchorElement | null
    if (!link || (event as MouseEvent).button > 1 || !/^https?:$/.test(link.protocol)) return
    const external = link.host !== location.host
    const url = linkUrl(link.href, external)
    const extension = /\.(\w+)$/.exec(link.pathname)?.[1]?.toLowerCase()
    if (DOWNLOADS && downloads.includes(extension!)) track('File Download', { url })
    else if (OUTBOUND && external && options.outbound) track('Outbound Link', { url })
  }
  listen(document, 'click', onClick)
  listen(document, 'auxclick', onClick)
}
