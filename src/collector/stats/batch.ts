import type { AggregateQuery, AggregateRow, Store } from '../stores/store.js'

/**
 * The store queries of one answer, gathered into one batch (a store may share work between
 * them) and identical ones asked once. `ask` returns how to read a query's rows once `run` has
 * run; the owner's answer (run.ts) and a share link's (public/answer.ts) both build on it.
 */
export function queryBatch(store: Store) {
  const queries: AggregateQuery[] = []
  const asked = new Map<string, number>()
  let results: AggregateRow[][] = []
  return {
    ask(query: AggregateQuery): () => AggregateRow[] {
      const key = JSON.stringify(query)
      let index = asked.get(key)
      if (index === undefined) asked.set(key, (index = queries.push(query) - 1))
      return () => results[index!]!
    },
    async run() {
      results = queries.length ? await store.query(queries) : []
    },
  }
}

/** Byte (code point) order, as the stores sort text: ties between rows of equal weight are broken by it. */
export const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))
