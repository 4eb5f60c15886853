import type { Row } from '../../schema.js'
import type { Dialect } from '../sql.js'

export const dialect: Dialect = {
  bind: (value, values) => {
    values.push(storable(value))
    return `$${values.length}`
  },
  table: (name) => name,
  greatest: 'GREATEST',
  // Byte order, whatever the database's collation, as the other stores and JavaScript compare.
  byteOrder: ' COLLATE "C"',
  enumerate: true,
  materialized: ' MATERIALIZED',
}

/**
 * PostgreSQL text cannot hold U+0000 (the whole write would fail, and with it every beacon of the
 * batch), so it is stored, and looked up, as U+FFFD: the one place where this store differs from
 * the others. Replaced before rows are merged, as two keys may become one.
 */
export const storable = <T>(value: T): T => (typeof value === 'string' ? (value.replaceAll('\0', '\uFFFD') as T) : value)

/** A row with its site and dimension values storable. */
export const storableRow = (row: Row): Row => ({ ...row, site: storable(row.site), dims: Object.fromEntries(Object.entries(row.dims).map(([d, v]) => [d, storable(v)])) })
