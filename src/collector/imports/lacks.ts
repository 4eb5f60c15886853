import { BREAKDOWNS, type BreakdownName, dimension } from '../../shared/dimensions.js'
import type { SiteImport } from '../sites/sites.js'

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

/**
 * The breakdowns an import holds nothing for: its source's, and those of the dimensions its
 * export had no column or table of (SiteImport.lacks), with the dimensions under them (browser
 * versions under browsers).
 */
export function importLacks(i: Pick<SiteImport, 'source' | 'lacks'>): BreakdownName[] {
  const lacking = new Set<string>(i.lacks ?? [])
  const never: readonly string[] = IMPORT_LACKS[i.source]
  return BREAKDOWNS.filter((b) => never.includes(b.name) || lacking.has(b.dimension) || lacking.has(dimension(b.dimension).parent ?? '')).map((b) => b.name)
}
