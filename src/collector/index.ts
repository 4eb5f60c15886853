// The collector as a library (`quietcount/collector`): mount the handler in your own server,
// or pick a store and a registry and call serveCollector on Node.

export { BREAKDOWNS, DIMENSIONS } from '../shared/dimensions.js'
export type { BreakdownResult, BreakdownRow, Metrics, StatsResult } from '../shared/stats-types.js'
export { type Collector, type CollectorOptions, createCollector } from './http/handler.js'
export { serveCollector } from './http/node.js'
export { openSpool, type Spool, type SpoolOptions } from './ingest/spool.js'
export { expireDetail, expireMarginals } from './retention.js'
export { type RegistryFile, registryFile } from './sites/registry.js'
export type { Registry, Site, Token } from './sites/sites.js'
export { answerStats, type StatsAnswer } from './stats/answer.js'
export { refuseUnderK } from './stats/k-anonymity.js'
export { parseStatsQuery, type StatsQuery } from './stats/parse-query.js'
export { runStats } from './stats/run.js'
export { openStore } from './stores/open.js'
export type { AggregateQuery, AggregateRow, MigrateOptions, SpooledBatch, Store } from './stores/store.js'
