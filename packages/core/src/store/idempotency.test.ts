import { describe, expect, it } from '@jest/globals'
import type { ExpectedRevision } from '../events/expected-revision'
import { assertDistinctEventIds, findIdempotentAppend, type StoredEventRef } from './idempotency'

// 'a' and 'b' were appended to S-1 at revisions 1 and 2, after one earlier event.
const stored = new Map<string, StoredEventRef>([
  ['a', { streamId: 'S-1', revision: 1n, position: 11n }],
  ['b', { streamId: 'S-1', revision: 2n, position: 12n }],
  ['x', { streamId: 'S-2', revision: 0n, position: 13n }],
])
const lookup = (id: string) => stored.get(id)

describe('findIdempotentAppend', () => {
  it.each<[string, ExpectedRevision]>([
    ['the revision before the events', 0n],
    ['any', 'any'],
    ['stream_exists', 'stream_exists'],
  ])('recognises a retry expecting %s and returns the original result', (_label, expected) => {
    expect(findIdempotentAppend('S-1', expected, ['a', 'b'], lookup)).toEqual({ nextRevision: 2n, position: 12n })
  })

  it.each<[string, string, ExpectedRevision, string[]]>([
    ['a different expected revision', 'S-1', 1n, ['a', 'b']],
    ['no_stream for events that are not the first', 'S-1', 'no_stream', ['a', 'b']],
    ['another stream', 'S-9', 'any', ['a', 'b']],
    ['the events in another order', 'S-1', 'any', ['b', 'a']],
    ['a new event after stored ones', 'S-1', 0n, ['a', 'b', 'c']],
    ['an id stored in another stream', 'S-1', 'any', ['a', 'x']],
    ['no events', 'S-1', 'any', []],
  ])('is not a retry with %s', (_label, streamId, expected, ids) => {
    expect(findIdempotentAppend(streamId, expected, ids, lookup)).toBeUndefined()
  })
})

describe('assertDistinctEventIds', () => {
  it('accepts distinct ids', () => {
    expect(() => assertDistinctEventIds(['a', 'b', 'c'])).not.toThrow()
  })

  it('refuses an id that appears twice, naming where', () => {
    expect(() => assertDistinctEventIds(['a', 'b', 'a'])).toThrow(
      expect.objectContaining({ type: 'validation', issues: [{ path: '[2].metadata.eventId', message: 'duplicate' }] }) as unknown as Error,
    )
  })
})
