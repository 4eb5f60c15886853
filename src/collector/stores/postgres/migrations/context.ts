/** What PostgreSQL's migrations run against: one connection, inside the migration's transaction. */
export interface PostgresContext {
  query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>
  timezoneOf: (site: string) => string
}
