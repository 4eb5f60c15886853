import type { StatsError, StatsResult } from '../../shared/stats-types.js'
import type { Store } from '../stores/store.js'
import { refuseUnderK } from './k-anonymity.js'
import type { StatsQuery } from './parse-query.js'
import { runStats } from './run.js'

/** The owner's answer to a stats query, or why its privacy check refuses it. */
export type StatsAnswer = { ok: true; result: StatsResult } | { ok: false; error: StatsError }

/**
 * Answers a validated stats query (parseStatsQuery) with its privacy check: a filter that would
 * single out a row k-anonymity folds is refused (refuseUnderK), anything else is run (runStats).
 * The API, `quietcount report` and the bench all answer through it. A share link's answer is
 * public/answer.ts.
 *
 * @example
 * const answer = await answerStats(store, parsed.query)
 * if (!answer.ok) return c.json(answer.error, 403)
 * return c.json(answer.result)
 */
export async function answerStats(store: Store, query: StatsQuery): Promise<StatsAnswer> {
  const refused = await refuseUnderK(store, query)
  return refused ? { ok: false, error: refused } : { ok: true, result: await runStats(store, query) }
}
