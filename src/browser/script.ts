import { scriptOptions } from './script-options.js'
import { createTracker, type TrackerConfig } from './tracker.js'

/** Entry of the `<script>` builds: the tag's `data-*` attributes (see `script-options.ts`) configure the tracker, which becomes `window.quietcount`. */
;(window as unknown as { quietcount: unknown }).quietcount = createTracker(
  scriptOptions(document.currentScript as HTMLScriptElement | null, 'quietcount-tracker') as unknown as TrackerConfig,
)
