/**
 * The string with each lone UTF-16 surrogate replaced by U+FFFD: JSON.parse and CSV files let them
 * through. Drivers that send strings as UTF-8 replace them so; ClickHouse's JSON insert would send
 * `\ud800` and refuse the whole insert, so its store and the imports replace them first.
 * String.prototype.toWellFormed does this from ES2024.
 */
export const wellFormed = (value: string) => value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD')
