/**
 * The part of `@clickhouse/client` this store calls, declared here so that the client stays an
 * optional peer dependency (open.ts imports it only for a ClickHouse URL).
 */
export interface ClickHouseDriver {
  createClient(config: { url: string; username?: string; password?: string; compression?: { request?: boolean; response?: boolean } }): ClickHouseClient
}
export interface ClickHouseClient {
  command(params: { query: string }): Promise<unknown>
  query(params: { query: string; format: 'JSONEachRow' }): Promise<{ json(): Promise<unknown> }>
  insert(params: { table: string; values: Record<string, string | number>[]; format: 'JSONEachRow' }): Promise<unknown>
  close(): Promise<void>
}
