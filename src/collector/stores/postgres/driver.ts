/**
 * The part of `pg` this store calls, declared here so that pg stays an optional peer dependency
 * (open.ts imports it only for a postgres: URL).
 */
export interface PgDriver {
  Pool: new (config: { connectionString: string; max?: number }) => PgPool
}
export interface PgPool {
  connect(): Promise<PgClient>
  query(text: string, values?: unknown[]): Promise<PgResult>
  on(event: 'error', listener: (error: Error) => void): unknown
  end(): Promise<void>
}
export interface PgClient {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<PgResult>
  release(error?: Error | boolean): void
  on(event: 'error', listener: (error: Error) => void): unknown
}
export interface PgResult {
  rows: Record<string, unknown>[]
  rowCount?: number | null
}
