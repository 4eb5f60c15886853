import { wellFormed } from '../../../shared/well-formed.js'
import type { Dialect } from '../sql.js'

/**
 * A ClickHouse string literal: backslash and quote escaped, and the control characters that
 * have an escape (https://clickhouse.com/docs/en/sql-reference/syntax#string). Needed because
 * the oldest servers we support (18.16, Debian's package) have no query parameters.
 */
export function clickhouseString(value: string): string {
  if (typeof value !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`)
  return `'${value.replace(/[\\'\0\b\f\n\r\t]/g, (c) => ESCAPES[c]!)}'`
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** A database name: only plain identifiers, backquoted. */
export function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`clickhouse database name ${JSON.stringify(name)} must be letters, digits and _`)
  return `\`${name}\``
}

const integer = (value: number) => {
  if (!Number.isSafeInteger(value)) throw new Error(`${JSON.stringify(value)} is not an integer`)
  return String(value)
}

/** The dialect of a database: values as escaped literals, tables named with their database. */
export const clickhouseDialect = (database: string): Dialect => ({
  bind: (value) => (typeof value === 'number' ? integer(value) : clickhouseString(wellFormed(value))),
  table: (name) => `${identifier(database)}.${name}`,
  greatest: 'greatest',
  byteOrder: '',
  enumerate: false,
  // The Debian package's server (18.16) has no table expressions in WITH: its queries stay one by one.
  materialized: '',
})
