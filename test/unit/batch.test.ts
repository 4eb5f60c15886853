import { expect, it } from 'vitest'
import { createBatch } from '../../src/browser/batch.js'

const view = (path: string, extra = {}) => ({ path, flags: 0, views: 1, seconds: 0, scroll: 0, ...extra })

it('merges identical page records by summing their counts', () => {
  const batch = createBatch()
  batch.page(view('/a'))
  batch.page(view('/a'))
  batch.page(view('/a', { views: 0, seconds: 12, scroll: 40 }))
  batch.page(view('/a', { flags: 1 }))
  batch.page(view('/a', { ref: 'news.example' }))
  batch.page(view('/b', { source: 'newsletter' }))
  // Every addition counts, merged or not: a beacon of LIMITS.counted additions counts at most that many.
  expect(batch.size()).toBe(6)
  expect(batch.take().pages).toEqual([
    view('/a', { views: 2, seconds: 12, scroll: 40 }),
    view('/a', { flags: 1 }),
    view('/a', { ref: 'news.example' }),
    view('/b', { source: 'newsletter' }),
  ])
  expect(batch.size()).toBe(0)
  expect(batch.take()).toEqual({ pages: [], events: [] })
})

it('merges identical events, props included', () => {
  const batch = createBatch()
  const event = (props?: Record<string, string>) => ({ name: 'Signup', path: '/join', count: 1, ...(props && { props }) })
  batch.event(event({ plan: 'pro' }))
  batch.event(event({ plan: 'pro' }))
  batch.event(event({ plan: 'free' }))
  batch.event(event())
  expect(batch.take().events).toEqual([{ ...event({ plan: 'pro' }), count: 2 }, event({ plan: 'free' }), event()])
})

it('does not let a merge change the record it was given', () => {
  const batch = createBatch()
  const first = view('/a')
  batch.page(first)
  batch.page(view('/a'))
  expect(first.views).toBe(1)
})
