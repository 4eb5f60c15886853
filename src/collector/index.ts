// The collector as a library (`quietcount/collector`): mount the handler in your own server,
// or pick a store and a registry and call serveCollector on Node.
export { type Collector, type CollectorOptions, createCollector } from './handler.js'
export { serveCollector } from './node.js'
export { openStore } from './stores/open.js'
export type { AggregateQuery, AggregateRow, Store } from './stores/store.js'
export { registryFile, type Registry, type Site, type Token } from './sites.js'
export { parseStatsQuery, runStats, type StatsQuery, type StatsResult } from './stats.js'
