import type { BreakdownName } from '../../shared/dimensions.js'

/**
 * The breakdowns an import holds nothing for (docs/import.md has the columns): for its days they
 * count only what QuietCount itself counted, which the dashboard says on their panels.
 */
export const IMPORT_LACKS: Record<'plausible' | 'goatcounter', BreakdownName[]> = {
  // Plausible keeps no language, and consent decisions are QuietCount's own.
  plausible: ['language', 'consent'],
  // GoatCounter's export is a line per page view or event: its sessions give entry pages, its
  // referrers hosts and campaign sources. It says no utm_medium or utm_campaign (GoatCounter keeps
  // campaigns apart from the hits), no language, and its events have no properties.
  goatcounter: ['medium', 'campaign', 'language', 'prop', 'consent'],
}
