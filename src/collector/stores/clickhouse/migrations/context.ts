/**
 * What ClickHouse's migrations run against. ClickHouse has no DDL transactions, so each
 * migration's steps must be safe to run again after an interruption.
 */
export interface ClickHouseContext {
  /** The database, as a backquoted identifier. */
  db: string
  /** The MergeTree settings that make an insert durable, as far as the server has them. */
  settings: string[]
  command(sql: string): Promise<void>
  rows(sql: string): Promise<Record<string, unknown>[]>
  insert(table: string, values: Record<string, string | number>[]): Promise<void>
  timezoneOf: (site: string) => string
}

/** ` SETTINGS a = 1, b = 1`, or nothing. */
export const settingsClause = (settings: string[]) => (settings.length ? ` SETTINGS ${settings.map((s) => `${s} = 1`).join(', ')}` : '')
