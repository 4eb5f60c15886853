import type { Choice } from './state.js'

type Gtag = (...args: unknown[]) => void

/**
 * Google Consent Mode v2: tells Google's tags the choice, `default` first, then `update` on every
 * change. Google's own loader reads the `arguments` objects that `gtag` pushes to `dataLayer`,
 * so when the site has no `gtag` yet, this defines the same stub Google's snippet does.
 * `ads` is the category that governs ad storage and ad personalisation.
 */
export function consentMode(choice: Choice, type: 'default' | 'update', ads = 'marketing'): void {
  const w = window as unknown as { gtag?: Gtag; dataLayer?: unknown[] }
  w.gtag ??= function () {
    // biome-ignore lint/complexity/noArguments: Google's loader reads only Arguments objects from dataLayer, not arrays, so a rest parameter would break gtag
    ;(w.dataLayer ??= []).push(arguments)
  }
  const state = (granted?: boolean) => (granted ? 'granted' : 'denied')
  const ad = state(choice[ads])
  w.gtag('consent', type, { analytics_storage: state(choice.analytics), ad_storage: ad, ad_user_data: ad, ad_personalization: ad })
}
