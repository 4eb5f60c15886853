/**
 * The tracker's opt-in features, as build-time flags. The npm build has them all; the `<script>`
 * builds are made once for every combination (rollup.config.mjs), each with the flags its file
 * name lists, and the minifier drops the code of the others: a site that does not track outbound
 * links does not download the code that would. Asking a file for a feature it lacks warns once,
 * naming the file that has it (script-options.ts).
 */
export const OUTBOUND = true
export const DOWNLOADS = true
export const HASH = true
export const NOT_FOUND = true

/**
 * The features in file-name order, with the `data-*` attribute (dataset key) that asks for each.
 * rollup.config.mjs reads this list, one feature per line, and sets each flag above, named after
 * the feature in capitals (`not-found` → NOT_FOUND).
 */
export const FEATURES = [
  ['outbound', 'outbound'],
  ['downloads', 'downloads'],
  ['hash', 'hash'],
  ['not-found', 'notFound'],
] as const

/** What this build has, in FEATURES order. */
export const BUILT = [OUTBOUND, DOWNLOADS, HASH, NOT_FOUND]

/** The file that has `wanted` as well as what `base` (quietcount-tracker or quietcount) already has. */
export const fileWith = (base: string, wanted: readonly boolean[]) => `${[base, ...FEATURES.filter((_, i) => wanted[i]).map(([name]) => name)].join('.')}.js`
