import { BUILT, FEATURES, fileWith } from './features.js'
import { pageSite } from './options.js'

/**
 * The options of a `<script>` build from its tag's `data-*` attributes, under the tracker's names
 * (`data-not-found` is `notFound`): an empty attribute or "true" is on, "false" off, `data-params`
 * and `data-downloads` are comma-separated lists, anything else is kept as written. The site
 * defaults to the page's and the collector to `/api/collect` beside the script.
 */
export function scriptOptions(script: HTMLScriptElement | null, base: string): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const [key, value = ''] of Object.entries(script?.dataset ?? {})) {
    options[key] = value === '' || value === 'true' || (value !== 'false' && (/^(params|downloads)$/.test(key) ? value.split(/\s*,\s*/) : value))
  }
  // A feature this file was built without: say once which file has it (features.ts).
  const wanted = FEATURES.map(([, key], i) => BUILT[i] || !!options[key])
  if (wanted.some((want, i) => want && !BUILT[i]))
    console.warn(
      `quietcount: ${fileWith(base, BUILT)} has no ${FEATURES.filter((_, i) => wanted[i] && !BUILT[i])
        .map(([name]) => `data-${name}`)
        .join(', ')}; load ${fileWith(base, wanted)} instead`,
    )
  options.site ||= pageSite()
  options.collector ||= new URL('/api/collect', script?.src || location.href).href
  return options
}
