import { type ConsentConfig, createConsent } from './consent/index.js'
import { scriptOptions } from './script-options.js'
import { createTracker, type TrackerConfig } from './tracker.js'

/**
 * Entry of `dist/quietcount.js`: the tracker of `script.ts` behind QuietCount's own consent
 * manager. The tag's `data-*` attributes are read as in `script.ts`; `data-consent-*` ones
 * (`data-consent-revision` is `revision`) configure the consent manager, which also takes
 * `data-site`, `data-collector`, `data-ignore-gpc` and `data-ignore-dnt`, so one attribute rules
 * both. The rest of its configuration (categories, their words and cookies) is JSON in
 * `<script type="application/json" id="quietcount-config">` (or the id in `data-consent-config`),
 * which a strict CSP allows since it never runs; a cookie pattern there is written "/regex/".
 * The tracker learns consent only through its public `consent()` call: on load from a stored
 * choice, then after every decision.
 */
const script = document.currentScript as HTMLScriptElement | null
const config = scriptOptions(script, 'quietcount')
const options: Record<string, unknown> = {}
for (const [key, parsed] of Object.entries(config)) {
  // data-consent-months → consentMonths → months; numbers from the attribute as written ("" is 0, refused).
  const name = key.charAt(7).toLowerCase() + key.slice(8)
  if (/^consent./.test(key)) options[name] = /^(revision|months)$/.test(name) ? Number(script!.dataset[key]) : parsed
}

const json = document.getElementById((options.config as string) || 'quietcount-config')?.textContent
delete options.config
const pattern = (match: string) => (/^\/.+\/$/.test(match) ? new RegExp(match.slice(1, -1)) : match)
const consent = createConsent({
  ...(json && (JSON.parse(json, (key, value) => (key === 'cookies' ? value.map(pattern) : value)) as ConsentConfig)),
  ...options,
  site: config.site as string,
  collector: config.collector as string,
  ignoreGpc: !!config.ignoreGpc,
  ignoreDnt: !!config.ignoreDnt,
  // The EU languages beside this file: dist/lang/de.json for dist/quietcount.js.
  ...(script?.src && { languageUrl: (code: string) => new URL(`lang/${code}.json`, script.src).href }),
})
const tracker = createTracker(config as unknown as TrackerConfig)
const tell = () => tracker.consent(consent.granted('analytics'))
if (consent.decided()) tell()
consent.on('change', tell)
;(window as unknown as { quietcount: unknown; quietcountConsent: unknown }).quietcount = tracker
;(window as unknown as { quietcountConsent: unknown }).quietcountConsent = consent
