import { describe, expect, it } from '@jest/globals'
import {
  InMemoryEventStore,
  MAX_APPEND_BYTES,
  MAX_EVENTS_PER_APPEND,
  MAX_JSON_DEPTH,
  MAX_NAME_BYTES,
} from '../index'
import { prepareEvents, serializeEvents, toJson } from '../spi'

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf'
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { v }
  return v
}

describe('payload limits', () => {
  it('serializes data nested to the limit and refuses one level more with a SerializationError', () => {
    expect(() => toJson(nested(MAX_JSON_DEPTH))).not.toThrow()
    expect(() => toJson(nested(MAX_JSON_DEPTH + 1), 'data', 'E')).toThrow(expect.objectContaining({ type: 'serialization', eventType: 'E' }))
  })

  it('refuses data nested 100,000 levels with a SerializationError, not a stack overflow', () => {
    expect(() => toJson(nested(100_000))).toThrow(expect.objectContaining({ type: 'serialization' }))
  })

  it.each([
    ['a stream id over the byte limit', 'é'.repeat(MAX_NAME_BYTES / 2 + 1), [{ type: 'E', data: {} }]],
    ['a stream id with NUL', 'Account-\0', [{ type: 'E', data: {} }]],
    ['an event type with NUL', 'Account-1', [{ type: 'E\0', data: {} }]],
    ['an event id over the byte limit', 'Account-1', [{ type: 'E', data: {}, metadata: { eventId: 'x'.repeat(MAX_NAME_BYTES + 1) } }]],
    ['an event id that is not a string', 'Account-1', [{ type: 'E', data: {}, metadata: { eventId: 7 as unknown as string } }]],
    ['more events than an append may hold', 'Account-1', Array.from({ length: MAX_EVENTS_PER_APPEND + 1 }, () => ({ type: 'E', data: {} }))],
  ])('refuses %s with a ValidationError before preparing anything', (_, streamId, events) => {
    expect(() => prepareEvents(streamId, events)).toThrow(expect.objectContaining({ type: 'validation' }))
    expect(() => serializeEvents(streamId, events)).toThrow(expect.objectContaining({ type: 'validation' }))
  })

  it.each([
    ['NUL in a string', { s: 'a\0b' }, 'data.s'],
    ['NUL in a field name', { ['a\0']: 1 }, 'data.a\0'],
    ['a lone surrogate', { s: 'a\uD800' }, 'data.s'],
  ])('refuses %s in data with a SerializationError naming the path', (_, data, path) => {
    for (const prepare of [prepareEvents, serializeEvents]) {
      expect(() => prepare('Account-1', [{ type: 'E', data }])).toThrow(expect.objectContaining({ type: 'serialization', path }))
    }
  })

  it('keeps a backslash followed by u0000, surrogate pairs, control and bidi characters', () => {
    const data = { text: '\\u0000 \\ud800 😀 \u0001\u001f \u202e\u2066' }
    expect(prepareEvents('Account-1', [{ type: 'E', data }])[0]!.data).toEqual(data)
    expect(JSON.parse(serializeEvents('Account-1', [{ type: 'E', data }])[0]!.data)).toEqual(data)
  })

  it('refuses an append whose JSON exceeds the byte limit, in UTF-8 bytes', () => {
    // Under the limit in UTF-16 units, over it in UTF-8 bytes.
    const big = 'é'.repeat(MAX_APPEND_BYTES / 2 - 1000)
    const events = [{ type: 'E', data: big }, { type: 'E', data: 'é'.repeat(1000) }]
    expect(() => serializeEvents('Account-1', events)).toThrow(expect.objectContaining({ type: 'validation' }))
    expect(() => prepareEvents('Account-1', events)).toThrow(expect.objectContaining({ type: 'validation' }))
    expect(() => serializeEvents('Account-1', [{ type: 'E', data: 'x'.repeat(MAX_APPEND_BYTES / 2) }])).not.toThrow()
  })

  it('changes nothing in the in-memory store when an append is refused', async () => {
    const store = new InMemoryEventStore()
    await expect(store.appendToStream('A-1', [{ type: 'E', data: {} }, { type: 'E', data: nested(1000) }])).rejects.toMatchObject({ type: 'serialization' })
    expect(await store.streamRevision('A-1')).toBeUndefined()
  })
})
