import { describe, expect, it } from 'vitest'
import { keepParams } from '../../src/collector/ingest/ingest.js'

describe('query parameters kept by the collector', () => {
  it.each([
    ['/a', [], '/a'],
    ['/a?page=2', [], '/a'],
    ['/a?page=2&session=x1', ['page'], '/a?page=2'],
    ['/a?session=x1', ['page'], '/a'],
  ])('%s with %j is %s', (path, allowed, kept) => expect(keepParams(path, allowed)).toBe(kept))
})
