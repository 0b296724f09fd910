import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { EventData, RecordedEvent } from '../events/event'
import type { ExpectedRevision } from '../events/expected-revision'
import { within } from './within'
import type {
  AppendResult,
  EventFilter,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  Subscription,
} from '../store/event-store'

/** What a contract factory returns: a ready store and how to dispose of what it used. */
export interface EventStoreUnderTest {
  readonly store: EventStore
  /** Runs after the store was closed, e.g. to delete its file or drop its schema. */
  readonly teardown?: () => Promise<void>
}

/** Options of {@link eventStoreContract}. */
export interface EventStoreContractOptions {
  /**
   * The factory's store belongs to one test: its log starts empty and nothing
   * else writes to it. Set `false` for a server whose log is shared (between
   * test files, or with system events, as in EventStoreDB): every test then
   * works on streams with a unique prefix, and the assertions that need the
   * whole log (an empty log, the exact head position) are left out.
   * @default true
   */
  readonly isolated?: boolean
  /** Number of events in the large-read tests. @default 5000 */
  readonly largeReadSize?: number
  /** How long a subscription may take to deliver an expected event. @default 5000 */
  readonly deliveryTimeoutMs?: number
}

/**
 * Registers the contract every {@link EventStore} must pass as jest tests.
 * The factory runs before each test and must return a fresh, open store;
 * the suite closes it after the test and then calls `teardown`.
 *
 * Nothing here assumes concrete positions (only that they strictly increase
 * in commit order); revisions are 0-based bigints in every store.
 * @example
 * ```ts
 * eventStoreContract('InMemoryEventStore', async () => ({ store: new InMemoryEventStore() }))
 * ```
 */
export const eventStoreContract = (
  name: string,
  factory: () => Promise<EventStoreUnderTest>,
  { isolated = true, largeReadSize = 5000, deliveryTimeoutMs = 5000 }: EventStoreContractOptions = {},
): void => {
  describe(`${name} (EventStore contract)`, () => {
    let store: EventStore
    let teardown: (() => Promise<void>) | undefined
    /** Unique to the test: every stream it writes starts with it, so a shared log cannot disturb it. */
    let tag: string
    let logStart: bigint | undefined

    const streamOf = (category: string, id: string | number = 1): string => `${tag}${category}-${id}`
    const ownFilter = (): EventFilter => ({ streamPrefixes: [tag] })
    const isOwn = (e: RecordedEvent): boolean => e.streamId.startsWith(tag)
    const readOwn = (options: Omit<ReadAllOptions, 'filter'> = {}): Promise<RecordedEvent[]> =>
      collect(store.readAll({ fromPosition: logStart ?? 'start', ...options, filter: ownFilter() }))
    const readStream = (streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> =>
      collect(store.readStream(streamId, options))
    const reader = (sub: Subscription, keep: (e: RecordedEvent) => boolean = isOwn): SubscriptionReader =>
      new SubscriptionReader(sub, keep, deliveryTimeoutMs)

    /** What a failed append must leave untouched. */
    const observe = async (streamId: string) => ({
      revision: await store.streamRevision(streamId),
      own: (await readOwn()).map((e) => e.metadata.eventId),
      head: isolated ? await store.headPosition() : undefined,
    })

    const seed = async (streamId: string, count: number, type = 'Seeded'): Promise<AppendResult> => {
      let result: AppendResult | undefined
      for (let done = 0; done < count; done += 500) {
        const batch = Array.from({ length: Math.min(500, count - done) }, (_, i) => event(type, { n: done + i }))
        result = await store.appendToStream(streamId, batch)
      }
      if (!result) throw new Error('seed needs at least one event')
      return result
    }

    beforeEach(async () => {
      const made = await factory()
      store = made.store
      teardown = made.teardown
      tag = `t${randomUUID().replace(/-/g, '').slice(0, 10)}`
      logStart = isolated ? undefined : await store.headPosition()
    })

    afterEach(async () => {
      await store.close()
      await teardown?.()
    })

    describe('appending and reading back', () => {
      it('appends events to a new stream and reads them back with revisions from 0', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('Opened', { owner: 'Ann' }), event('Deposited', { amount: 5 })])
        await store.appendToStream(streamId, [event('Withdrawn', { amount: 2 })])

        const read = await readStream(streamId)

        expect(read.map((e) => [e.streamId, e.revision, e.type, e.data])).toEqual([
          [streamId, 0n, 'Opened', { owner: 'Ann' }],
          [streamId, 1n, 'Deposited', { amount: 5 }],
          [streamId, 2n, 'Withdrawn', { amount: 2 }],
        ])
        expectStrictlyIncreasing(read.map((e) => e.position))
      })

      it('returns the revision and position of the last appended event', async () => {
        const streamId = streamOf('Account')
        const first = await store.appendToStream(streamId, [event('A'), event('B'), event('C')])
        const second = await store.appendToStream(streamId, [event('D')])

        const read = await readStream(streamId)

        expect(first).toEqual({ nextRevision: 2n, position: read[2]!.position })
        expect(second).toEqual({ nextRevision: 3n, position: read[3]!.position })
        expect(second.position > first.position).toBe(true)
      })

      it('keeps type, data and every metadata field it was given', async () => {
        const streamId = streamOf('Account')
        const metadata = {
          eventId: randomUUID(),
          correlationId: 'corr-1',
          causationId: 'cmd-1',
          occurredAt: '2024-01-02T03:04:05.678Z',
          schemaVersion: 3,
          tenant: 'acme',
          trace: { spans: [1, 2], sampled: true },
        }
        await store.appendToStream(streamId, [{ type: 'Opened', data: { owner: 'Ann' }, metadata }])

        const [read] = await readStream(streamId)

        expect(read).toMatchObject({ type: 'Opened', data: { owner: 'Ann' }, streamId, revision: 0n })
        expect(read!.metadata).toEqual(metadata)
      })

      it('reads events that keep their metadata when spread, cloned or compared as plain objects', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('Opened', { owner: 'Ann' }, { tenant: 'acme' })])

        const [read] = await readStream(streamId)
        const plain = { type: read!.type, data: read!.data, metadata: read!.metadata, streamId, revision: 0n, position: read!.position }

        expect({ ...read }).toEqual(plain)
        expect(structuredClone(read)).toEqual(plain)
        expect(read).toEqual(plain)
        expect(Object.keys(read!).sort()).toEqual(Object.keys(plain).sort())
        expect(read!.metadata.tenant).toBe('acme')
      })

      it('fills in eventId, occurredAt and schemaVersion when they are missing', async () => {
        const streamId = streamOf('Account')
        const before = Date.now()
        await store.appendToStream(streamId, [event('A'), event('B', {}, { correlationId: 'c' })])

        const read = await readStream(streamId)

        const ids = read.map((e) => e.metadata.eventId)
        expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true)
        expect(new Set(ids).size).toBe(2)
        for (const e of read) {
          expect(e.metadata.schemaVersion).toBe(1)
          const occurredAt = Date.parse(e.metadata.occurredAt)
          expect(occurredAt).toBeGreaterThanOrEqual(before - 1000)
          expect(occurredAt).toBeLessThanOrEqual(Date.now() + 1000)
        }
        expect(read[1]!.metadata.correlationId).toBe('c')
      })

      it.each<[string, unknown, unknown]>([
        ['a nested object', { a: { b: [1, 'two', { c: null }] }, d: true }, { a: { b: [1, 'two', { c: null }] }, d: true }],
        ['an array', [1, 2, 3], [1, 2, 3]],
        ['a string with non-ASCII characters', 'zürich ✓ 東京 🙂', 'zürich ✓ 東京 🙂'],
        ['a number', -12.5, -12.5],
        ['a boolean', false, false],
        ['null', null, null],
        ['undefined (stored as null)', undefined, null],
        ['a Date (stored as its ISO string)', new Date('2024-05-06T07:08:09.000Z'), '2024-05-06T07:08:09.000Z'],
        ['an empty object', {}, {}],
      ])('round-trips %s as data', async (_label, data, expected) => {
        const streamId = streamOf('Payload')
        await store.appendToStream(streamId, [{ type: 'Carried', data }])

        const [read] = await readStream(streamId)

        expect(read!.data).toEqual(expected)
      })

      it('is not affected by changes the caller makes to the written objects afterwards', async () => {
        const streamId = streamOf('Account')
        const data = { items: ['a'], total: 1 }
        await store.appendToStream(streamId, [{ type: 'Changed', data }])
        data.items.push('b')
        data.total = 2

        const [read] = await readStream(streamId)

        expect(read!.data).toEqual({ items: ['a'], total: 1 })
      })

      it('gives positions that strictly increase across appends to different streams', async () => {
        const results: AppendResult[] = []
        for (let i = 0; i < 6; i++) {
          results.push(await store.appendToStream(streamOf(i % 2 ? 'Order' : 'Account', i % 3), [event('E', { i })]))
        }

        expectStrictlyIncreasing(results.map((r) => r.position))
        expect((await readOwn()).map((e) => e.position)).toEqual(results.map((r) => r.position))
      })

      it('keeps streams apart: a stream reads only its own events', async () => {
        const a = streamOf('Account', 'a')
        const b = streamOf('Account', 'b')
        await store.appendToStream(a, [event('A1')])
        await store.appendToStream(b, [event('B1')])
        await store.appendToStream(a, [event('A2')])

        expect((await readStream(a)).map((e) => [e.type, e.revision])).toEqual([['A1', 0n], ['A2', 1n]])
        expect((await readStream(b)).map((e) => [e.type, e.revision])).toEqual([['B1', 0n]])
      })

      it('appending no events to an existing stream returns its current revision and position', async () => {
        const streamId = streamOf('Account')
        const appended = await store.appendToStream(streamId, [event('A'), event('B')])
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, [], { expectedRevision: 1n })).resolves.toEqual(appended)
        expect(await observe(streamId)).toEqual(before)
      })

      it('rejects appending no events to a missing stream', async () => {
        await expect(store.appendToStream(streamOf('Account'), [])).rejects.toMatchObject({ type: 'validation' })
      })

      it('rejects an empty stream id', async () => {
        await expect(store.appendToStream('', [event('A')])).rejects.toMatchObject({ type: 'validation' })
      })

      it('streamRevision is undefined for a missing stream and the last revision otherwise', async () => {
        const streamId = streamOf('Account')
        expect(await store.streamRevision(streamId)).toBeUndefined()

        await store.appendToStream(streamId, [event('A'), event('B'), event('C')])

        expect(await store.streamRevision(streamId)).toBe(2n)
      })
    })

    describe('expected revision', () => {
      const cases: ReadonlyArray<{ existing: boolean; expected: ExpectedRevision; accepted: boolean; why: string }> = [
        { existing: false, expected: 'any', accepted: true, why: 'any' },
        { existing: false, expected: 'no_stream', accepted: true, why: 'no_stream' },
        { existing: false, expected: 'stream_exists', accepted: false, why: 'stream_exists' },
        { existing: false, expected: 0n, accepted: false, why: 'an exact revision' },
        { existing: true, expected: 'any', accepted: true, why: 'any' },
        { existing: true, expected: 'no_stream', accepted: false, why: 'no_stream' },
        { existing: true, expected: 'stream_exists', accepted: true, why: 'stream_exists' },
        { existing: true, expected: 1n, accepted: true, why: 'its current revision' },
        { existing: true, expected: 0n, accepted: false, why: 'a stale revision' },
        { existing: true, expected: 2n, accepted: false, why: 'a revision ahead of the stream' },
      ]

      describe.each([
        { existing: false, state: 'a missing stream' },
        { existing: true, state: 'a stream at revision 1' },
      ])('against $state', ({ existing }) => {
        const rows = cases.filter((c) => c.existing === existing)

        it.each(rows.filter((c) => c.accepted).map((c) => [c.why, c] as const))(
          'accepts an append expecting %s',
          async (_why, { expected }) => {
            const streamId = streamOf('Account')
            if (existing) await store.appendToStream(streamId, [event('A'), event('B')])

            const result = await store.appendToStream(streamId, [event('C')], { expectedRevision: expected })

            expect(result.nextRevision).toBe(existing ? 2n : 0n)
            expect((await readStream(streamId)).map((e) => e.type)).toEqual(existing ? ['A', 'B', 'C'] : ['C'])
          },
        )

        it.each(rows.filter((c) => !c.accepted).map((c) => [c.why, c] as const))(
          'rejects an append expecting %s with a ConcurrencyError and appends nothing',
          async (_why, { expected }) => {
            const streamId = streamOf('Account')
            if (existing) await store.appendToStream(streamId, [event('A'), event('B')])
            const before = await observe(streamId)

            await expect(
              store.appendToStream(streamId, [event('C'), event('D')], { expectedRevision: expected }),
            ).rejects.toMatchObject({
              name: 'ConcurrencyError',
              type: 'concurrency',
              streamId,
              expected,
              actual: existing ? 1n : undefined,
            })
            expect(await observe(streamId)).toEqual(before)
          },
        )
      })

      it('defaults the expected revision to any', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('A')])

        await expect(store.appendToStream(streamId, [event('B')])).resolves.toMatchObject({ nextRevision: 1n })
      })

      it('rejects an append when the expected revision is stale even with no events', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('A'), event('B')])

        await expect(store.appendToStream(streamId, [], { expectedRevision: 0n })).rejects.toMatchObject({
          type: 'concurrency',
          streamId,
          expected: 0n,
          actual: 1n,
        })
      })

      it('lets a writer continue with the nextRevision it was given', async () => {
        const streamId = streamOf('Account')
        let { nextRevision } = await store.appendToStream(streamId, [event('A')], { expectedRevision: 'no_stream' })
        for (let i = 0; i < 5; i++) {
          ;({ nextRevision } = await store.appendToStream(streamId, [event('B'), event('C')], { expectedRevision: nextRevision }))
        }

        expect(nextRevision).toBe(10n)
        expect(await store.streamRevision(streamId)).toBe(10n)
      })
    })

    describe('atomicity', () => {
      const circular: Record<string, unknown> = { name: 'loop' }
      circular.self = circular
      const badEvents: ReadonlyArray<readonly [string, EventData, object]> = [
        ['a BigInt in data', event('Bad', { amount: 10n }), { type: 'serialization', path: 'data.amount' }],
        ['a circular reference in data', event('Bad', circular), { type: 'serialization' }],
        ['NaN in data', event('Bad', { ratio: Number.NaN }), { type: 'serialization', path: 'data.ratio' }],
        ['a function in metadata', event('Bad', {}, { hook: () => 1 }), { type: 'serialization' }],
        ['a missing type', { data: {} } as unknown as EventData, { type: 'validation' }],
        ['an empty type', event('', {}), { type: 'validation' }],
        ['an invalid schemaVersion', event('Bad', {}, { schemaVersion: 0 }), { type: 'validation' }],
      ]

      describe.each([
        { existing: false, state: 'a missing stream' },
        { existing: true, state: 'an existing stream' },
      ])('appending to $state', ({ existing }) => {
        it.each(badEvents)('refuses a batch with %s and appends nothing of it', async (_label, bad, error) => {
          const streamId = streamOf('Account')
          if (existing) await store.appendToStream(streamId, [event('A')])
          const before = await observe(streamId)

          await expect(store.appendToStream(streamId, [event('Good1'), event('Good2'), bad])).rejects.toMatchObject(error)
          expect(await observe(streamId)).toEqual(before)
        })
      })

      it('refuses a batch that carries the same event id twice and appends nothing', async () => {
        const streamId = streamOf('Account')
        const id = randomUUID()
        const before = await observe(streamId)

        await expect(
          store.appendToStream(streamId, [event('A', {}, { eventId: id }), event('B', {}, { eventId: id })]),
        ).rejects.toMatchObject({ type: 'validation' })
        expect(await observe(streamId)).toEqual(before)
      })

      it('appends a batch of 150 events at contiguous revisions and increasing positions, each with its own payload', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('First')])
        const batch = Array.from({ length: 150 }, (_, i) => event(`E${i}`, { n: i }, { eventId: randomUUID() }))

        const result = await store.appendToStream(streamId, batch, { expectedRevision: 0n })

        const read = await readStream(streamId, { fromRevision: 1n })
        expect(read.map((e) => [e.revision, e.type, e.data, e.metadata.eventId])).toEqual(
          batch.map((e, i) => [BigInt(i + 1), e.type, e.data, e.metadata!.eventId]),
        )
        expect(read.every((e, i) => i === 0 || e.position > read[i - 1]!.position)).toBe(true)
        expect(result).toEqual({ nextRevision: 150n, position: read[149]!.position })
      })

      it('refuses a batch of 150 events whose last event id is already stored, and appends nothing of it', async () => {
        const stored = event('Stored', {}, { eventId: randomUUID() })
        await store.appendToStream(streamOf('Account', 'other'), [stored])
        const streamId = streamOf('Account')
        const before = await observe(streamId)
        const batch = [...Array.from({ length: 149 }, (_, i) => event('E', { n: i })), stored]

        await expect(store.appendToStream(streamId, batch)).rejects.toMatchObject({ type: 'validation' })
        expect(await observe(streamId)).toEqual(before)
      })

      it('accepts appends again after a refused batch', async () => {
        const streamId = streamOf('Account')
        await expect(store.appendToStream(streamId, [event('A'), event('Bad', { n: 1n })])).rejects.toMatchObject({
          type: 'serialization',
        })

        await store.appendToStream(streamId, [event('A')], { expectedRevision: 'no_stream' })

        expect((await readStream(streamId)).map((e) => [e.type, e.revision])).toEqual([['A', 0n]])
      })
    })

    describe('idempotent appends', () => {
      const withIds = (...types: string[]): EventData[] => types.map((t) => event(t, { t }, { eventId: randomUUID() }))

      it.each<[string, ExpectedRevision]>([
        ['no_stream', 'no_stream'],
        ['any', 'any'],
        ['stream_exists', 'stream_exists'],
      ])('returns the original result when a batch is retried expecting %s and appends nothing', async (_l, expected) => {
        const streamId = streamOf('Account')
        if (expected === 'stream_exists') await store.appendToStream(streamId, [event('First')])
        const batch = withIds('A', 'B')
        const original = await store.appendToStream(streamId, batch, { expectedRevision: expected })
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, batch, { expectedRevision: expected })).resolves.toEqual(original)
        expect(await observe(streamId)).toEqual(before)
      })

      it('returns the original result when a batch is retried with the same exact revision', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('First')])
        const batch = withIds('A', 'B')
        const original = await store.appendToStream(streamId, batch, { expectedRevision: 0n })
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, batch, { expectedRevision: 0n })).resolves.toEqual(original)
        await expect(store.appendToStream(streamId, batch, { expectedRevision: 'any' })).resolves.toEqual(original)
        expect(await observe(streamId)).toEqual(before)
      })

      it('returns the original result when a batch of 150 events is retried, and appends nothing', async () => {
        const streamId = streamOf('Account')
        const batch = withIds(...Array.from({ length: 150 }, (_, i) => `E${i}`))
        const original = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })).resolves.toEqual(original)
        await expect(store.appendToStream(streamId, batch, { expectedRevision: 'any' })).resolves.toEqual(original)
        expect(await observe(streamId)).toEqual(before)
      })

      it('stays idempotent after later appends to the stream', async () => {
        const streamId = streamOf('Account')
        const batch = withIds('A')
        const original = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })
        await store.appendToStream(streamId, withIds('B'), { expectedRevision: 0n })
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })).resolves.toEqual(original)
        expect(await observe(streamId)).toEqual(before)
      })

      it('rejects a retry whose expected revision does not fit where the events are', async () => {
        const streamId = streamOf('Account')
        const batch = withIds('A', 'B')
        await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })
        await store.appendToStream(streamId, withIds('C'), { expectedRevision: 1n })
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, batch, { expectedRevision: 1n })).rejects.toMatchObject({
          type: 'concurrency',
          streamId,
          expected: 1n,
          actual: 2n,
        })
        expect(await observe(streamId)).toEqual(before)
      })

      it('rejects event ids that are already stored in another stream', async () => {
        const batch = withIds('A')
        await store.appendToStream(streamOf('Account', 'a'), batch)
        const other = streamOf('Account', 'b')
        const before = await observe(other)

        await expect(store.appendToStream(other, batch)).rejects.toMatchObject({ type: 'validation' })
        expect(await observe(other)).toEqual(before)
      })

      it('rejects a batch that repeats only some already stored event ids', async () => {
        const streamId = streamOf('Account')
        const [a, b] = withIds('A', 'B')
        await store.appendToStream(streamId, [a!])
        const before = await observe(streamId)

        await expect(store.appendToStream(streamId, [a!, b!])).rejects.toMatchObject({ type: 'validation' })
        expect(await observe(streamId)).toEqual(before)
      })
    })

    describe('readStream', () => {
      const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
      it.each<[string, ReadStreamOptions, number[]]>([
        ['forwards by default', {}, all],
        ['forwards from start', { fromRevision: 'start' }, all],
        ['forwards from a revision, inclusive', { fromRevision: 3n }, [3, 4, 5, 6, 7, 8, 9]],
        ['forwards from end as the last event only', { fromRevision: 'end' }, [9]],
        ['forwards at most maxCount events', { maxCount: 4 }, [0, 1, 2, 3]],
        ['forwards from a revision at most maxCount events', { fromRevision: 3n, maxCount: 2 }, [3, 4]],
        ['forwards from past the end as nothing', { fromRevision: 10n }, []],
        ['backwards from end by default', { direction: 'backwards' }, [...all].reverse()],
        ['backwards from end', { direction: 'backwards', fromRevision: 'end' }, [...all].reverse()],
        ['backwards from a revision, inclusive', { direction: 'backwards', fromRevision: 4n }, [4, 3, 2, 1, 0]],
        ['backwards from start as the first event only', { direction: 'backwards', fromRevision: 'start' }, [0]],
        ['backwards at most maxCount events', { direction: 'backwards', maxCount: 3 }, [9, 8, 7]],
        ['backwards from past the end as from the last event', { direction: 'backwards', fromRevision: 50n }, [...all].reverse()],
        ['nothing with maxCount 0', { maxCount: 0 }, []],
        ['forwards with metadata left out', { fromRevision: 3n, maxCount: 2, readMetadata: false }, [3, 4]],
        ['backwards with metadata left out', { direction: 'backwards', readMetadata: false }, [...all].reverse()],
      ])('reads %s', async (_label, options, expected) => {
        const streamId = streamOf('Account')
        for (let i = 0; i < 10; i += 4) {
          await store.appendToStream(streamOf('Other'), [event('Noise')])
          await store.appendToStream(streamId, all.slice(i, i + 4).map((n) => event('E', { n })))
        }

        const read = await readStream(streamId, options)
        const pages = await collect(store.readStream(streamId, options).pages())

        expect(read.map((e) => e.revision)).toEqual(expected.map(BigInt))
        expect(read.map((e) => (e.data as { n: number }).n)).toEqual(expected)
        // The same read in pages: the same events, and no page empty.
        expect(pages.filter((page) => page.length === 0)).toEqual([])
        expect(pages.flat()).toEqual(read)
      })

      it('keeps the schema version of a read that leaves metadata out', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('E', { n: 0 }), event('E', { n: 1 }, { schemaVersion: 3, tenant: 't' })])

        const full = await readStream(streamId)
        const lean = await readStream(streamId, { readMetadata: false })

        expect(lean.map((e) => e.metadata.schemaVersion)).toEqual(full.map((e) => e.metadata.schemaVersion))
        expect(lean.map((e) => [e.type, e.data, e.revision, e.position])).toEqual(full.map((e) => [e.type, e.data, e.revision, e.position]))
      })

      it.each<[string, ReadStreamOptions]>([
        ['forwards', {}],
        ['backwards', { direction: 'backwards' }],
        ['from a revision', { fromRevision: 3n }],
      ])('yields nothing for a missing stream read %s', async (_label, options) => {
        await store.appendToStream(streamOf('Account', 'other'), [event('A')])

        expect(await readStream(streamOf('Account', 'missing'), options)).toEqual([])
      })
    })

    describe('readAll', () => {
      /** Nine events over three streams of two categories, two types; returns them in append order. */
      const seedLog = async (): Promise<RecordedEvent[]> => {
        const plan: Array<[string, string]> = [
          [streamOf('Account', 1), 'Opened'],
          [streamOf('Order', 1), 'Placed'],
          [streamOf('Account', 2), 'Opened'],
          [streamOf('Account', 1), 'Deposited'],
          [streamOf('Order', 1), 'Shipped'],
          [streamOf('Account', 2), 'Deposited'],
          [streamOf('Account', 1), 'Deposited'],
          [streamOf('Order', 1), 'Placed'],
          [streamOf('Account', 2), 'Closed'],
        ]
        for (const [streamId, type] of plan) await store.appendToStream(streamId, [event(type)])
        const own = await readOwn()
        expect(own.map((e) => [e.streamId, e.type])).toEqual(plan)
        return own
      }

      it('reads every stream in global order with the positions of readStream', async () => {
        const own = await seedLog()

        expectStrictlyIncreasing(own.map((e) => e.position))
        const accountOne = await readStream(streamOf('Account', 1))
        expect(own.filter((e) => e.streamId === streamOf('Account', 1))).toEqual(accountOne)
      })

      it.each<[string, Omit<ReadAllOptions, 'filter'>]>([
        ['forwards', {}],
        ['backwards', { direction: 'backwards' }],
        ['forwards at most maxCount events', { maxCount: 4 }],
      ])('hands out the same events in pages as one by one, read %s', async (_label, options) => {
        await seedLog()
        const read = (): ReturnType<EventStore['readAll']> =>
          store.readAll({ fromPosition: options.direction === 'backwards' ? 'end' : logStart ?? 'start', ...options, filter: ownFilter() })

        const pages = await collect(read().pages())

        expect(pages.filter((page) => page.length === 0)).toEqual([])
        expect(pages.flat()).toEqual(await collect(read()))
      })

      it('reads forwards from a position, inclusive', async () => {
        const own = await seedLog()

        const read = await readOwn({ fromPosition: own[4]!.position })

        expect(read).toEqual(own.slice(4))
      })

      it('reads backwards from a position, inclusive', async () => {
        const own = await seedLog()

        const read = await readOwn({ direction: 'backwards', fromPosition: own[4]!.position })

        expect(read.map((e) => e.position)).toEqual(own.slice(0, 5).reverse().map((e) => e.position))
      })

      it('reads backwards from the end by default', async () => {
        const own = await seedLog()

        const read = (await collect(store.readAll({ direction: 'backwards', filter: ownFilter() }))).filter(isOwn)

        expect(read).toEqual([...own].reverse())
      })

      it('reads forwards from end as the last event of the log only', async () => {
        const own = await seedLog()

        const read = await collect(store.readAll({ fromPosition: 'end' }))

        expect(read).toHaveLength(1)
        expect(read[0]!.position >= own[own.length - 1]!.position).toBe(true)
        if (isolated) expect(read[0]).toEqual(own[own.length - 1])
      })

      it('reads backwards from start as the first event of the log only', async () => {
        const own = await seedLog()

        const read = await collect(store.readAll({ direction: 'backwards', fromPosition: 'start' }))

        expect(read).toHaveLength(1)
        expect(read[0]!.position <= own[0]!.position).toBe(true)
        if (isolated) expect(read[0]).toEqual(own[0])
      })

      it.each<['forwards' | 'backwards']>([['forwards'], ['backwards']])(
        'reads at most maxCount events %s',
        async (direction) => {
          const own = await seedLog()
          const from = direction === 'forwards' ? own[2]! : own[6]!

          const read = await collect(store.readAll({ direction, fromPosition: from.position, maxCount: 3 }))

          expect(read).toHaveLength(3)
          expect(read[0]).toEqual(from)
          const positions = read.map((e) => e.position)
          expectStrictlyIncreasing(direction === 'forwards' ? positions : [...positions].reverse())
          if (isolated) expect(read).toEqual(direction === 'forwards' ? own.slice(2, 5) : own.slice(4, 7).reverse())
        },
      )

      it('filters by event type', async () => {
        const deposited = `${tag}.Deposited`
        await store.appendToStream(streamOf('Account', 1), [event('Opened'), event(deposited, { n: 1 })])
        await store.appendToStream(streamOf('Order', 1), [event(deposited, { n: 2 }), event('Placed')])

        const read = await collect(store.readAll({ fromPosition: logStart ?? 'start', filter: { eventTypes: [deposited] } }))

        expect(read.map((e) => [e.streamId, e.data])).toEqual([
          [streamOf('Account', 1), { n: 1 }],
          [streamOf('Order', 1), { n: 2 }],
        ])
      })

      it('filters by stream prefix', async () => {
        const own = await seedLog()

        const read = await collect(store.readAll({ filter: { streamPrefixes: [`${tag}Order-`] } }))

        expect(read).toEqual(own.filter((e) => e.streamId.startsWith(`${tag}Order-`)))
      })

      it('lets events through that match any of several stream prefixes', async () => {
        const own = await seedLog()

        const read = await collect(store.readAll({ filter: { streamPrefixes: [`${tag}Order-`, streamOf('Account', 2)] } }))

        expect(read).toEqual(own.filter((e) => e.streamId !== streamOf('Account', 1)))
      })

      it('matches stream prefixes case-sensitively and literally', async () => {
        await store.appendToStream(streamOf('Account', 1), [event('A')])
        await store.appendToStream(`${tag}account-1`, [event('A')])
        await store.appendToStream(`${tag}Acc_unt-1`, [event('A')])
        await store.appendToStream(`${tag}Acc%unt-1`, [event('A')])

        const read = await collect(store.readAll({ filter: { streamPrefixes: [`${tag}Acc%`, `${tag}Acc_u`] } }))

        expect(read.map((e) => e.streamId).sort()).toEqual([`${tag}Acc%unt-1`, `${tag}Acc_unt-1`].sort())
      })

      it('combines event type and stream prefix filters: an event must match both', async () => {
        const own = await seedLog()

        const read = await collect(
          store.readAll({ filter: { eventTypes: ['Deposited', 'Placed'], streamPrefixes: [`${tag}Account-`] } }),
        )

        expect(read).toEqual(own.filter((e) => e.type === 'Deposited' && e.streamId.startsWith(`${tag}Account-`)))
      })

      it('treats empty filter lists as no filter', async () => {
        const own = await seedLog()

        const read = await collect(
          store.readAll({ fromPosition: own[0]!.position, filter: { eventTypes: [], streamPrefixes: [] } }),
        )

        expect(read.filter(isOwn)).toEqual(own)
        if (isolated) expect(read).toEqual(own)
      })

      it.each<['forwards' | 'backwards']>([['forwards'], ['backwards']])(
        'applies maxCount after the filter when reading %s',
        async (direction) => {
          const own = await seedLog()
          const deposits = own.filter((e) => e.type === 'Deposited')

          const read = await collect(
            store.readAll({ direction, maxCount: 2, filter: { eventTypes: ['Deposited'], streamPrefixes: [tag] } }),
          )

          expect(read).toEqual(direction === 'forwards' ? deposits.slice(0, 2) : deposits.slice(-2).reverse())
        },
      )

      it('headPosition is the position of the last event appended', async () => {
        await seedLog()
        const last = await store.appendToStream(streamOf('Account', 3), [event('Opened'), event('Closed')])

        const head = await store.headPosition()

        expect(head).toBeDefined()
        if (isolated) expect(head).toBe(last.position)
        else expect(head! >= last.position).toBe(true)
      })

      if (isolated) {
        it('an empty log reads nothing and has no head position', async () => {
          expect(await store.headPosition()).toBeUndefined()
          expect(await collect(store.readAll())).toEqual([])
          expect(await collect(store.readAll({ direction: 'backwards' }))).toEqual([])
          expect(await collect(store.readAll({ fromPosition: 'end' }))).toEqual([])
        })
      }
    })

    describe('subscribeToAll', () => {
      it('catches up from start and then receives new appends', async () => {
        await store.appendToStream(streamOf('Account', 1), [event('A'), event('B')])
        await store.appendToStream(streamOf('Account', 2), [event('C')])
        const sub = store.subscribeToAll({ fromPosition: logStart ?? 'start' })
        const events = reader(sub)

        expect((await events.take(3)).map((e) => e.type)).toEqual(['A', 'B', 'C'])
        await store.appendToStream(streamOf('Account', 1), [event('D')])
        expect((await events.take(1)).map((e) => [e.type, e.revision])).toEqual([['D', 2n]])
        await sub.close()
      })

      it('hands out the same events through nextBatch, in batches of at most maxCount, then new appends', async () => {
        await store.appendToStream(streamOf('Account', 1), [event('A'), event('B'), event('C')])
        await store.appendToStream(streamOf('Account', 2), [event('D')])
        const sub = store.subscribeToAll({ fromPosition: logStart ?? 'start', filter: ownFilter() })
        const batches: (readonly RecordedEvent[])[] = []
        const take = async (count: number): Promise<string[]> => {
          const out: string[] = []
          while (out.length < count) {
            const batch = await within(sub.nextBatch(2), deliveryTimeoutMs, 'a batch')
            expect(batch.length).toBeGreaterThan(0)
            batches.push(batch)
            out.push(...batch.map((e) => e.type))
          }
          return out
        }

        expect(await take(4)).toEqual(['A', 'B', 'C', 'D'])
        await store.appendToStream(streamOf('Account', 1), [event('E')])
        expect(await take(1)).toEqual(['E'])
        expect(batches.filter((b) => b.length > 2)).toEqual([])
        await sub.close()
        expect(await within(sub.nextBatch(2), deliveryTimeoutMs, 'the end')).toEqual([])
      })

      it('starts with the first event after a checkpoint', async () => {
        await store.appendToStream(streamOf('Account'), [event('A'), event('B'), event('C'), event('D')])
        const [, second] = await readOwn()
        const sub = store.subscribeToAll({ fromPosition: second!.position })

        expect((await reader(sub).take(2)).map((e) => e.type)).toEqual(['C', 'D'])
        await sub.close()
      })

      it('from end receives only events appended after subscribing, even before it is iterated', async () => {
        await store.appendToStream(streamOf('Account'), [event('Before')])
        const sub = store.subscribeToAll({ fromPosition: 'end' })
        await store.appendToStream(streamOf('Account'), [event('After1')])
        const events = reader(sub)

        expect((await events.take(1)).map((e) => e.type)).toEqual(['After1'])
        await store.appendToStream(streamOf('Account'), [event('After2')])
        expect((await events.take(1)).map((e) => e.type)).toEqual(['After2'])
        await sub.close()
      })

      it('calls onCaughtUp when it has delivered the log, at or past the last delivered event', async () => {
        await store.appendToStream(streamOf('Account'), [event('A'), event('B')])
        const caughtUp: Array<bigint | undefined> = []
        const sub = store.subscribeToAll({ fromPosition: logStart ?? 'start', onCaughtUp: (p) => caughtUp.push(p) })
        const events = reader(sub)

        const delivered = await events.take(2)
        // A pull-based subscription moves on only while someone waits for its next event.
        const next = events.take(1)
        await waitFor(() => caughtUp.length > 0, deliveryTimeoutMs, 'onCaughtUp')

        expect(sub.isCaughtUp).toBe(true)
        const reported = caughtUp[caughtUp.length - 1]
        expect(reported !== undefined && reported >= delivered[1]!.position).toBe(true)
        if (isolated) expect(reported).toBe(await store.headPosition())
        await store.appendToStream(streamOf('Account'), [event('C')])
        expect((await next).map((e) => e.type)).toEqual(['C'])
        expect(sub.isCaughtUp).toBe(false)
        await sub.close()
      })

      if (isolated) {
        it('calls onCaughtUp with undefined on an empty log and then receives the first append', async () => {
          const caughtUp: Array<bigint | undefined> = []
          const sub = store.subscribeToAll({ onCaughtUp: (p) => caughtUp.push(p) })
          const events = reader(sub)
          const first = events.take(1)

          await waitFor(() => caughtUp.length > 0, deliveryTimeoutMs, 'onCaughtUp')
          expect(caughtUp[0]).toBeUndefined()
          await store.appendToStream(streamOf('Account'), [event('First')])
          expect((await first).map((e) => e.type)).toEqual(['First'])
          await sub.close()
        })
      }

      it('delivers only the events its filter lets through', async () => {
        const sub = store.subscribeToAll({
          fromPosition: logStart ?? 'start',
          filter: { eventTypes: ['Deposited'], streamPrefixes: [`${tag}Account-`] },
        })
        const events = reader(sub, () => true)
        await store.appendToStream(streamOf('Account', 1), [event('Opened'), event('Deposited', { n: 1 })])
        await store.appendToStream(streamOf('Order', 1), [event('Deposited', { n: 2 })])
        await store.appendToStream(streamOf('Account', 2), [event('Deposited', { n: 3 })])

        expect((await events.take(2)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }])
        await events.expectNothingFor(200)
        await sub.close()
      })

      it('never reports a caught-up position past a matching event it has not delivered', async () => {
        const delivered = new Set<bigint>()
        const reports: Array<{ position: bigint | undefined; delivered: number }> = []
        const sub = store.subscribeToAll({
          fromPosition: logStart ?? 'start',
          filter: { eventTypes: ['Wanted'], streamPrefixes: [tag] },
          onCaughtUp: (position) => reports.push({ position, delivered: delivered.size }),
        })
        const consumed = (async () => {
          for await (const e of sub) {
            delivered.add(e.position)
            if (delivered.size === 100) return
          }
        })()
        for (let i = 0; i < 100; i++) {
          await store.appendToStream(streamOf('Account', i % 7), [event('Unwanted'), event('Wanted', { i })])
          if (i % 10 === 0) await sleep(1)
        }
        await within(consumed, deliveryTimeoutMs, 'the 100 wanted events')
        const wanted = (await readOwn()).filter((e) => e.type === 'Wanted')

        expect(reports.length).toBeGreaterThan(0)
        for (const report of reports) {
          const due = wanted.filter((e) => report.position !== undefined && e.position <= report.position).length
          expect(report.delivered).toBeGreaterThanOrEqual(due)
        }
        await sub.close()
      })

      it('receives events appended while it is still catching up', async () => {
        await seed(streamOf('Account', 'old'), 1200)
        const sub = store.subscribeToAll({ fromPosition: logStart ?? 'start' })
        const events = reader(sub)

        const first = await events.take(10)
        await store.appendToStream(streamOf('Account', 'new'), [event('Late1'), event('Late2')])
        const rest = await events.take(1192)

        expect(first.every((e) => e.streamId === streamOf('Account', 'old'))).toBe(true)
        expect(rest.slice(-2).map((e) => e.type)).toEqual(['Late1', 'Late2'])
        expectStrictlyIncreasing([...first, ...rest].map((e) => e.position))
        await sub.close()
      })

      it('ends its iteration promptly when closed', async () => {
        await store.appendToStream(streamOf('Account'), [event('A')])
        const sub = store.subscribeToAll({ fromPosition: logStart ?? 'start' })
        const seen: string[] = []
        const loop = (async () => {
          for await (const e of sub) if (isOwn(e)) seen.push(e.type)
        })()
        await waitFor(() => seen.length === 1 && sub.isCaughtUp, deliveryTimeoutMs, 'the first event')

        await sub.close()
        await within(loop, 1000, 'the end of the iteration')

        await store.appendToStream(streamOf('Account'), [event('B')])
        expect(seen).toEqual(['A'])
      })

      it('ends immediately when closed before it is iterated', async () => {
        const sub = store.subscribeToAll()
        await sub.close()

        await expect(within(collect(sub), 1000, 'the end of the iteration')).resolves.toEqual([])
      })

      it('ends its iteration when the store is closed', async () => {
        const sub = store.subscribeToAll({ fromPosition: 'end', filter: ownFilter() })
        const loop = collect(sub)
        await waitFor(() => sub.isCaughtUp, deliveryTimeoutMs, 'the subscription to catch up')

        await store.close()

        await expect(within(loop, 1000, 'the end of the iteration')).resolves.toEqual([])
      })

      it('delivers every event to each of two subscribers', async () => {
        const subs = [store.subscribeToAll({ fromPosition: logStart ?? 'start' }), store.subscribeToAll({ fromPosition: 'end' })]
        const readers = subs.map((s) => reader(s))
        for (let i = 0; i < 5; i++) await store.appendToStream(streamOf('Account', i % 2), [event('E', { i })])

        const [a, b] = await Promise.all(readers.map((r) => r.take(5)))

        expect(a!.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })))
        expect(b).toEqual(a)
        await Promise.all(subs.map((s) => s.close()))
      })

      it('delivers every event exactly once and in order under concurrent appends to many streams', async () => {
        const streams = 20
        const appendsPerStream = 10
        const sub = store.subscribeToAll({ fromPosition: 'end', filter: ownFilter() })
        const events = reader(sub)

        await Promise.all(
          Array.from({ length: streams }, async (_, s) => {
            let expectedRevision: ExpectedRevision = 'no_stream'
            for (let i = 0; i < appendsPerStream; i++) {
              const r = await store.appendToStream(streamOf('Account', s), [event('E', { s, i })], { expectedRevision })
              expectedRevision = r.nextRevision
            }
          }),
        )
        const delivered = await events.take(streams * appendsPerStream)
        await events.expectNothingFor(100)

        expectStrictlyIncreasing(delivered.map((e) => e.position))
        expect(new Set(delivered.map((e) => e.metadata.eventId)).size).toBe(streams * appendsPerStream)
        for (let s = 0; s < streams; s++) {
          const ofStream = delivered.filter((e) => e.streamId === streamOf('Account', s))
          expect(ofStream.map((e) => [e.revision, (e.data as { i: number }).i])).toEqual(
            Array.from({ length: appendsPerStream }, (_, i) => [BigInt(i), i]),
          )
        }
        expect(delivered).toEqual(await readOwn())
        await sub.close()
      })
    })

    describe('concurrent appends to one stream', () => {
      it('lets exactly one of many appends with the same expected revision win', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('Opened')])

        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.appendToStream(streamId, [event('Deposited', { i }), event('Audited', { i })], { expectedRevision: 0n }),
          ),
        )

        const won = outcomes.filter((o) => o.status === 'fulfilled')
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(won[0]).toMatchObject({ value: { nextRevision: 2n } })
        for (const o of lost) expect(o.reason).toMatchObject({ type: 'concurrency', streamId, expected: 0n })
        const read = await readStream(streamId)
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n])
        expect(new Set(read.slice(1).map((e) => (e.data as { i: number }).i)).size).toBe(1)
      })

      it('lets exactly one of many creations of the same stream win', async () => {
        const streamId = streamOf('Account')

        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.appendToStream(streamId, [event('Opened', { i })], { expectedRevision: 'no_stream' }),
          ),
        )

        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
        for (const o of outcomes) {
          if (o.status === 'rejected') expect(o.reason).toMatchObject({ type: 'concurrency', expected: 'no_stream' })
        }
        expect((await readStream(streamId)).map((e) => e.revision)).toEqual([0n])
      })

      it('keeps revisions contiguous when many appends expect any', async () => {
        const streamId = streamOf('Account')

        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.appendToStream(streamId, [event('A', { i }), event('B', { i })])),
        )

        const read = await readStream(streamId)
        expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)))
        expect(new Set(results.map((r) => r.nextRevision)).size).toBe(20)
        for (const r of results) {
          const last = read[Number(r.nextRevision)]!
          expect(last.position).toBe(r.position)
          expect(read[Number(r.nextRevision) - 1]!.data).toEqual(last.data)
        }
      })
    })

    describe('large reads', () => {
      it(`reads a stream of ${largeReadSize} events completely and in order, both ways`, async () => {
        const streamId = streamOf('Big')
        await seed(streamId, largeReadSize)

        // Checked as it streams, without collecting: a per-event expect would dominate the run time.
        let next = 0n
        let misplaced = 0
        for await (const e of store.readStream(streamId)) if (e.revision !== next++) misplaced++
        expect({ read: next, misplaced }).toEqual({ read: BigInt(largeReadSize), misplaced: 0 })
        for await (const e of store.readStream(streamId, { direction: 'backwards' })) if (e.revision !== --next) misplaced++
        expect({ left: next, misplaced }).toEqual({ left: 0n, misplaced: 0 })
        for await (const page of store.readStream(streamId).pages()) for (const e of page) if (e.revision !== next++) misplaced++
        expect({ read: next, misplaced }).toEqual({ read: BigInt(largeReadSize), misplaced: 0 })
        for await (const page of store.readStream(streamId, { direction: 'backwards' }).pages()) for (const e of page) if (e.revision !== --next) misplaced++
        expect({ left: next, misplaced }).toEqual({ left: 0n, misplaced: 0 })
      })

      it(`reads ${largeReadSize} events of the log completely and in order, both ways`, async () => {
        await seed(streamOf('Big', 1), largeReadSize / 2)
        await seed(streamOf('Big', 2), largeReadSize / 2)

        const forwards = await readOwn()
        const backwards = await collect(store.readAll({ direction: 'backwards', filter: ownFilter() }))

        expect(forwards).toHaveLength(largeReadSize)
        expectStrictlyIncreasing(forwards.map((e) => e.position))
        expect(backwards.map((e) => e.position)).toEqual(forwards.map((e) => e.position).reverse())
      })

      it('lets appends run while a read is suspended between events', async () => {
        const streamId = streamOf('Big')
        await seed(streamId, 1200)

        const fromStream: RecordedEvent[] = []
        const fromLog: RecordedEvent[] = []
        const streamIterator = store.readStream(streamId)[Symbol.asyncIterator]()
        const logIterator = store.readAll({ fromPosition: logStart ?? 'start', filter: ownFilter() })[Symbol.asyncIterator]()
        for (let i = 0; i < 3; i++) {
          fromStream.push((await streamIterator.next()).value as RecordedEvent)
          fromLog.push((await logIterator.next()).value as RecordedEvent)
          await store.appendToStream(streamOf('Other', i), [event('Meanwhile')])
        }
        for (let r = await streamIterator.next(); !r.done; r = await streamIterator.next()) fromStream.push(r.value)
        for (let r = await logIterator.next(); !r.done; r = await logIterator.next()) fromLog.push(r.value)

        expect(fromStream.map((e) => e.revision)).toEqual(Array.from({ length: 1200 }, (_, i) => BigInt(i)))
        expect(fromLog.slice(0, 1200)).toEqual(fromStream)
        expectStrictlyIncreasing(fromLog.map((e) => e.position))
      })

      it('lets appends run while a read is suspended between pages', async () => {
        const streamId = streamOf('Big')
        await seed(streamId, 1200)

        const revisions: bigint[] = []
        let appended = 0
        for await (const page of store.readStream(streamId).pages()) {
          for (const e of page) revisions.push(e.revision)
          await store.appendToStream(streamOf('Other', appended++), [event('Meanwhile')])
        }

        expect(revisions).toEqual(Array.from({ length: 1200 }, (_, i) => BigInt(i)))
        expect(appended).toBeGreaterThan(0)
      })

      it('stops reading when the consumer breaks out early, and the store keeps working', async () => {
        const streamId = streamOf('Big')
        await seed(streamId, 1200)

        const firstThree: bigint[] = []
        for await (const e of store.readStream(streamId)) {
          firstThree.push(e.revision)
          if (firstThree.length === 3) break
        }
        const log = store.readAll({ filter: ownFilter() })[Symbol.asyncIterator]()
        await log.next()
        await log.return?.()
        await store.appendToStream(streamId, [event('After')], { expectedRevision: 1199n })

        expect(firstThree).toEqual([0n, 1n, 2n])
        expect(await store.streamRevision(streamId)).toBe(1200n)
      })
    })

    describe('after close', () => {
      it('refuses every operation with a StoreClosedError', async () => {
        const streamId = streamOf('Account')
        await store.appendToStream(streamId, [event('A')])

        await store.close()

        const closed = { name: 'StoreClosedError', type: 'store-closed' }
        await expect(store.appendToStream(streamId, [event('B')])).rejects.toMatchObject(closed)
        await expect(store.streamRevision(streamId)).rejects.toMatchObject(closed)
        await expect(store.headPosition()).rejects.toMatchObject(closed)
        await expect(collect(store.readStream(streamId))).rejects.toMatchObject(closed)
        await expect(collect(store.readAll())).rejects.toMatchObject(closed)
        expect(() => store.subscribeToAll()).toThrow(expect.objectContaining(closed) as unknown as Error)
      })

      it('can be closed twice', async () => {
        await store.close()

        await expect(store.close()).resolves.toBeUndefined()
      })
    })
  })
}

/** A test event; `data` defaults to an empty object. */
const event = (type: string, data: unknown = {}, metadata?: EventData['metadata']): EventData =>
  metadata ? { type, data, metadata } : { type, data }

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

const expectStrictlyIncreasing = (positions: readonly bigint[]): void => {
  const violations = positions.filter((p, i) => i > 0 && p <= positions[i - 1]!)
  expect(violations).toEqual([])
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const TIMEOUT = Symbol('timeout')

/** Resolves with `promise`, or with TIMEOUT after `ms`, without leaving a timer behind. */
const race = <T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms))
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}


const waitFor = async (condition: () => boolean, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms}ms waiting for ${what}`)
    await sleep(5)
  }
}

/**
 * Reads a subscription with deadlines, so that a store that fails to deliver
 * fails the test instead of hanging it. A `next()` still pending when a
 * deadline passes is kept and awaited by the following read: no event is lost.
 */
class SubscriptionReader {
  private readonly iterator: AsyncIterator<RecordedEvent>
  private pending: Promise<IteratorResult<RecordedEvent>> | undefined

  constructor(
    subscription: Subscription,
    private readonly keep: (e: RecordedEvent) => boolean,
    private readonly timeoutMs: number,
  ) {
    this.iterator = subscription[Symbol.asyncIterator]()
  }

  /** The next `count` kept events. */
  async take(count: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = []
    const deadline = Date.now() + this.timeoutMs
    while (out.length < count) {
      const result = await this.next(deadline - Date.now())
      if (result === TIMEOUT) throw new Error(`Timed out after ${this.timeoutMs}ms with ${out.length} of ${count} events`)
      if (result.done) throw new Error(`The subscription ended after ${out.length} of ${count} events`)
      if (this.keep(result.value)) out.push(result.value)
    }
    return out
  }

  /** Asserts that no kept event arrives within `ms`. */
  async expectNothingFor(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    for (;;) {
      const result = await this.next(deadline - Date.now())
      if (result === TIMEOUT || result.done) return
      expect(this.keep(result.value) ? result.value : undefined).toBeUndefined()
    }
  }

  private async next(ms: number): Promise<IteratorResult<RecordedEvent> | typeof TIMEOUT> {
    this.pending ??= this.iterator.next()
    const result = await race(this.pending, ms)
    if (result !== TIMEOUT) this.pending = undefined
    return result
  }
}
