import { createTracker, type TrackerConfig } from './tracker.js'

/**
 * Entry of the `<script>` builds. The tag's `data-*` attributes are the tracker's options under
 * the same names (`data-not-found` is `notFound`): an empty attribute or "true" is on, "false"
 * off, `data-params` and `data-downloads` are comma-separated lists. The tracker becomes
 * `window.quietcount`.
 */
const script = document.currentScript as HTMLScriptElement | null
const config: Record<string, unknown> = {}
for (const [key, value = ''] of Object.entries(script?.dataset ?? {})) {
  config[key] = value === '' || value === 'true' || (value !== 'false' && (/^(params|downloads)$/.test(key) ? value.split(/\s*,\s*/) : value))
}
config.site ||= location.hostname.replace(/^www\./, '')
config.collector ||= new URL('/api/collect', script?.src || location.href).href
;(window as unknown as { quietcount: unknown }).quietcount = createTracker(config as unknown as TrackerConfig)
