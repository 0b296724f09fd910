import { describe, expect, it } from '@jest/globals'
import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client'
import type { ExpectedRevision } from '@eventfold/core'
import { fromEventStoreDBCurrentRevision, fromEventStoreDBExpectedRevision, toEventStoreDBExpectedRevision } from './expected-revision'

describe('expected revision mapping', () => {
  it.each<[ExpectedRevision, unknown]>([
    ['any', ANY],
    ['no_stream', NO_STREAM],
    ['stream_exists', STREAM_EXISTS],
    [0n, 0n],
    [41n, 41n],
    [(1n << 62n) + 5n, (1n << 62n) + 5n],
  ])('maps %p to the client and back', (ours, theirs) => {
    expect(toEventStoreDBExpectedRevision(ours)).toBe(theirs)
    expect(fromEventStoreDBExpectedRevision(toEventStoreDBExpectedRevision(ours))).toBe(ours)
  })

  it.each<[bigint, ExpectedRevision]>([
    [-1n, 'no_stream'],
    [-2n, 'any'],
    [-4n, 'stream_exists'],
  ])('reads the legacy number %p in server errors as %p', (legacy, ours) => {
    expect(fromEventStoreDBExpectedRevision(legacy)).toBe(ours)
  })

  it('refuses a legacy number that means nothing', () => {
    expect(() => fromEventStoreDBExpectedRevision(-3n)).toThrow(RangeError)
  })

  it('refuses a negative revision', () => {
    expect(() => toEventStoreDBExpectedRevision(-1n)).toThrow(RangeError)
  })

  it.each([
    ['no_stream', undefined],
    [-1n, undefined],
    [0n, 0n],
    [7n, 7n],
    [undefined, undefined],
  ] as const)('reads the current revision %p as %p', (current, actual) => {
    expect(fromEventStoreDBCurrentRevision(current)).toBe(actual)
  })
})
