import type { Dialect } from '../sql.js'

export const dialect: Dialect = {
  bind: (value, values) => {
    values.push(value)
    return '?'
  },
  table: (name) => name,
  greatest: 'max',
  byteOrder: '',
  enumerate: true,
  materialized: ' MATERIALIZED',
}
