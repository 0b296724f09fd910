import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { EventData, RecordedEvent } from '../events/event'
import { MAX_APPEND_BYTES, MAX_EVENTS_PER_APPEND, MAX_JSON_DEPTH, MAX_NAME_BYTES } from '../events/limits'
import type { EventStore } from '../store/event-store'
import type { EventStoreUnderTest } from './event-store-contract'

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf'
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { v }
  return v
}

/** What every object inherits, to check that nothing hostile reached it. */
const prototypeKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort()

/** JSON text with keys sorted: stores may reorder keys (PostgreSQL's jsonb does), never drop or add them. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k === '__proto__' ? '[own __proto__]' : k, (value as Record<string, unknown>)[k]]))
      : value,
  )

const collect = async (events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = []
  for await (const e of events) out.push(e)
  return out
}

/**
 * Registers the hostile-input suite every {@link EventStore} must pass.
 * Event data comes from users (request bodies become events): `__proto__`
 * and `$` keys, control and bidi characters round-trip exactly; NUL, lone
 * surrogates, nesting over `MAX_JSON_DEPTH`, names over `MAX_NAME_BYTES`,
 * appends over `MAX_EVENTS_PER_APPEND` events or `MAX_APPEND_BYTES` are
 * refused with a typed error and write nothing, the same on every store.
 * `Object.prototype` is untouched afterwards.
 *
 * Every stream it writes starts with a random tag, so the store may be shared.
 * @example
 * ```ts
 * eventStoreHostileInput('InMemoryEventStore', async () => ({ store: new InMemoryEventStore() }))
 * ```
 */
export const eventStoreHostileInput = (name: string, factory: () => Promise<EventStoreUnderTest>): void => {
  describe(`${name} (EventStore hostile input)`, () => {
    let store: EventStore
    let teardown: (() => Promise<void>) | undefined
    let tag: string
    let before: string[]
    const stream = (id = '1'): string => `${tag}Account-${id}`

    beforeEach(async () => {
      before = prototypeKeys()
      tag = `h${randomUUID().slice(0, 8)}`
      ;({ store, teardown } = await factory())
    })
    afterEach(async () => {
      try {
        await store.close()
        await teardown?.()
      } finally {
        expect(prototypeKeys()).toEqual(before)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }
    })

    const roundTrip = async (streamId: string, event: EventData): Promise<RecordedEvent> => {
      await store.appendToStream(streamId, [event], { expectedRevision: 'no_stream' })
      const [read] = await collect(store.readStream(streamId))
      return read!
    }

    it('round-trips an own __proto__ key in data as plain data', async () => {
      const data = JSON.parse('{"accountId":"1","__proto__":{"polluted":true,"amount":1}}') as object
      const read = await roundTrip(stream(), { type: 'Deposited', data })
      expect(canonical(read.data)).toBe(canonical(data))
      expect(canonical(read.data)).toContain('[own __proto__]')
      expect(Object.getPrototypeOf(read.data)).toBe(Object.prototype)
      expect((read.data as { polluted?: unknown }).polluted).toBeUndefined()
    })

    it('round-trips $-keys and dotted keys in data and metadata', async () => {
      const data = { $set: { balance: 1 }, filter: { $ne: 'x', $where: 'sleep(1)' }, 'a.b': 1, $: [] }
      const read = await roundTrip(stream(), { type: 'Deposited', data, metadata: { $tenant: 't' } })
      expect(read.data).toEqual(data)
      expect(read.metadata.$tenant).toBe('t')
    })

    it('round-trips control, bidi and astral characters in ids, types and data, and nesting to the limit', async () => {
      const weird = '\u0001\u001f\u007f\u202e\u2066\u200f\t😀'
      const data = { text: `${weird} \\u0000 \\ud800`, [weird]: weird, deep: nested(MAX_JSON_DEPTH - 1) }
      const read = await roundTrip(stream(weird), { type: `Deposited${weird}`, data })
      expect(read).toMatchObject({ streamId: stream(weird), type: `Deposited${weird}`, data })
    })

    it(`round-trips a stream id of ${MAX_NAME_BYTES} bytes`, async () => {
      const id = stream('x'.repeat(MAX_NAME_BYTES - stream('').length))
      expect((await roundTrip(id, { type: 'Deposited', data: {} })).streamId).toBe(id)
    })

    describe('refuses with a typed error and writes nothing', () => {
      const refusals: ReadonlyArray<readonly [string, () => string, () => EventData[], string]> = [
        ['a stream id with NUL', () => stream('a\0b'), () => [{ type: 'Deposited', data: {} }], 'validation'],
        [`a stream id over ${MAX_NAME_BYTES} bytes`, () => stream('é'.repeat(MAX_NAME_BYTES / 2)), () => [{ type: 'Deposited', data: {} }], 'validation'],
        ['an event type with NUL', () => stream(), () => [{ type: 'Dep\0osited', data: {} }], 'validation'],
        ['an event id over the limit', () => stream(), () => [{ type: 'E', data: {}, metadata: { eventId: 'i'.repeat(MAX_NAME_BYTES + 1) } }], 'validation'],
        ['NUL in a data string', () => stream(), () => [{ type: 'E', data: {} }, { type: 'E', data: { s: 'a\0b' } }], 'serialization'],
        ['NUL in a data key', () => stream(), () => [{ type: 'E', data: { ['a\0b']: 1 } }], 'serialization'],
        ['a lone surrogate', () => stream(), () => [{ type: 'E', data: { s: '\uDC00x' } }], 'serialization'],
        ['NUL in metadata', () => stream(), () => [{ type: 'E', data: {}, metadata: { note: '\0' } }], 'serialization'],
        ['nesting one level over the limit', () => stream(), () => [{ type: 'E', data: nested(MAX_JSON_DEPTH + 1) }], 'serialization'],
        ['nesting 100,000 levels deep', () => stream(), () => [{ type: 'E', data: nested(100_000) }], 'serialization'],
        ['nesting 100,000 levels deep in metadata', () => stream(), () => [{ type: 'E', data: {}, metadata: { deep: nested(100_000) } }], 'serialization'],
        [
          `more than ${MAX_EVENTS_PER_APPEND} events`,
          () => stream(),
          () => Array.from({ length: MAX_EVENTS_PER_APPEND + 1 }, () => ({ type: 'E', data: {} })),
          'validation',
        ],
        [`more than ${MAX_APPEND_BYTES} bytes`, () => stream(), () => [{ type: 'E', data: 'x'.repeat(MAX_APPEND_BYTES) }], 'validation'],
      ]
      it.each(refusals)('%s', async (_, streamId, events, type) => {
        await expect(store.appendToStream(streamId(), events())).rejects.toMatchObject({ type })
        if (!streamId().includes('\0') && Buffer.byteLength(streamId()) <= MAX_NAME_BYTES) {
          expect(await store.streamRevision(streamId())).toBeUndefined()
        }
      })

      it.each([
        ['with NUL', () => stream('a\0b')],
        [`longer than ${MAX_NAME_BYTES} bytes`, () => stream('x'.repeat(MAX_NAME_BYTES))],
      ])('refuses reads of a stream id %s with a ValidationError', async (_, streamId) => {
        await expect(collect(store.readStream(streamId()))).rejects.toMatchObject({ type: 'validation' })
        await expect(store.streamRevision(streamId())).rejects.toMatchObject({ type: 'validation' })
      })
    })
  })
}
