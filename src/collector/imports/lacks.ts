import type { BreakdownName } from '../../shared/dimensions.js'

/**
 * The breakdowns an import holds nothing for (docs/import.md has the columns): for its days they
 * count only what QuietCount itself counted, which the dashboard says on their panels.
 */
export const IMPORT_LACKS: Record<'plausible' | 'goatcounter', BreakdownName[]> = {
  // Plausible keeps no language, and consent decisions are QuietCount's own.
  plausible: ['language', 'consent'],
  // GoatCounter's export is page views with a user agent, a screen width, a location and a referrer.
  goatcounter: ['entry_page', 'medium', 'campaign', 'language', 'event', 'prop', 'consent'],
}
