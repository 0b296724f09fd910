import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals'
import { AggregateRepository, defineAggregate, defineUpcaster, EventRegistry, MetadataNotReadError, type RecordedEvent } from '@eventfold/core'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresEventStore } from './postgres-event-store'

const EVENTS = 100

const tally = defineAggregate<{ count: number; total: number }, object, { type: string; data: { n: number } }>({
  category: 'Tally',
  commands: {},
  initialState: () => ({ count: 0, total: 0 }),
  decide: () => [],
  evolve: (s, e) => ({ count: s.count + 1, total: s.total + e.data.n }),
})

describePostgres('Loading an aggregate from PostgreSQL', () => {
  let pool: pg.Pool
  let schema: string
  let store: PostgresEventStore

  beforeAll(() => {
    pool = testPool(2)
  })
  afterAll(async () => {
    await pool.end()
  })
  beforeEach(async () => {
    schema = freshSchema('load')
    store = new PostgresEventStore(pool, { schema })
    await store.appendToStream(
      'Tally-1',
      Array.from({ length: EVENTS }, (_, n) => ({ type: 'Counted', data: { n } })),
    )
  })
  afterEach(async () => {
    jest.restoreAllMocks()
    await store.close()
    await dropSchema(pool, schema)
  })

  it('parses each event’s data and none of its metadata', async () => {
    const repository = new AggregateRepository(store, { registry: new EventRegistry() })
    const parse = jest.spyOn(JSON, 'parse')

    const loaded = await repository.get(tally, '1')

    expect(loaded.state).toEqual({ count: EVENTS, total: (EVENTS * (EVENTS - 1)) / 2 })
    expect(parse).toHaveBeenCalledTimes(EVENTS)
  })

  it('still hands out the metadata, parsed at first access, and upcasts by the stored version', async () => {
    const registry = new EventRegistry()
    registry.register('Counted', { version: 2 })
    registry.addUpcaster(defineUpcaster('Counted', 1, (data: { n: number }) => ({ n: data.n * 10 })))
    const seen: string[] = []
    const loaded = await new AggregateRepository(store, { registry }).get(tally, '1', { onEvent: (e) => seen.push(e.metadata.eventId) })

    expect(loaded.state.total).toBe(((EVENTS * (EVENTS - 1)) / 2) * 10)
    const ids: string[] = []
    for await (const e of store.readStream('Tally-1')) ids.push(e.metadata.eventId)
    expect(seen).toEqual(ids)
  })

  it('reads standard metadata from the server’s jsonb text as a plain property, as JSON.parse reads it', async () => {
    await store.appendToStream('Tally-2', [{ type: 'Counted', data: { n: 1 }, metadata: { correlationId: 'c-1', causationId: 'c-0' } }])
    await store.appendToStream('Tally-3', [{ type: 'Counted', data: { n: 1 }, metadata: { tenant: 't' } }])
    const parse = jest.spyOn(JSON, 'parse')
    const read = async (streamId: string) => {
      for await (const event of store.readStream(streamId, { maxCount: 1 })) return event
      throw new Error(`${streamId} is empty`)
    }

    const plain = await read('Tally-1')
    const correlated = await read('Tally-2')
    const withUserFields = await read('Tally-3')

    expect(parse).toHaveBeenCalledTimes(3)
    for (const event of [plain, correlated]) {
      const { rows } = await pool.query<{ text: string }>(`SELECT metadata::text AS text FROM "${schema}".eventfold_events WHERE position = $1`, [
        event.position.toString(),
      ])
      const descriptor = Object.getOwnPropertyDescriptor(event, 'metadata')
      expect(descriptor).toHaveProperty('value')
      expect(Object.entries(descriptor!.value)).toEqual(Object.entries(JSON.parse(rows[0]!.text)))
    }
    expect(correlated.metadata).toMatchObject({ correlationId: 'c-1', causationId: 'c-0', schemaVersion: 1 })
    expect(Object.getOwnPropertyDescriptor(withUserFields, 'metadata')).toHaveProperty('get')
    expect(withUserFields.metadata).toMatchObject({ tenant: 't', schemaVersion: 1 })
  })

  it('checks the version of events whose metadata holds user fields in its text, parsing none of it, and upcasts by it', async () => {
    await store.appendToStream(
      'Tally-2',
      Array.from({ length: 3 }, (_, n) => ({ type: 'Counted', data: { n }, metadata: { tenant: 't', audit: { schemaVersion: 9 } } })),
    )
    const current = new EventRegistry()
    current.register('Counted', { version: 1 })
    const later = new EventRegistry()
    later.register('Counted', { version: 2 })
    later.addUpcaster(defineUpcaster('Counted', 1, (data: { n: number }) => ({ n: data.n * 10 })))
    const parse = jest.spyOn(JSON, 'parse')

    const loaded = await new AggregateRepository(store, { registry: current }).get(tally, '2')

    expect(loaded.state).toEqual({ count: 3, total: 3 })
    expect(parse).toHaveBeenCalledTimes(3)
    expect((await new AggregateRepository(store, { registry: later }).get(tally, '2')).state).toEqual({ count: 3, total: 30 })
  })

  it('leaves metadata out of a read that asks to, forwards and backwards, keeping the stored version', async () => {
    await store.appendToStream('Tally-2', [
      { type: 'Counted', data: { n: 1 }, metadata: { tenant: 't', audit: { schemaVersion: 9 } } },
      { type: 'Counted', data: { n: 2 }, metadata: { schemaVersion: 3 } },
    ])
    const read = async (options: { direction?: 'backwards'; readMetadata?: boolean }) => {
      const events: RecordedEvent[] = []
      for await (const e of store.readStream('Tally-2', options)) events.push(e)
      return events
    }

    for (const direction of [undefined, 'backwards'] as const) {
      const full = await read(direction ? { direction } : {})
      const lean = await read(direction ? { direction, readMetadata: false } : { readMetadata: false })
      expect(lean.map(({ metadata: _, ...rest }) => rest)).toEqual(full.map(({ metadata: _, ...rest }) => rest))
      expect(lean.map((e) => e.metadata.schemaVersion)).toEqual(full.map((e) => e.metadata.schemaVersion))
      expect(lean.map((e) => e.metadata.schemaVersion).sort()).toEqual([1, 3])
      expect(() => lean[0]!.metadata.eventId).toThrow(MetadataNotReadError)
    }
  })

  it('loads the same state with metadata left out as with it, for a decider whose evolve reads it and one that does not', async () => {
    await store.appendToStream('Tally-2', [
      { type: 'Counted', data: { n: 1 }, metadata: { correlationId: 'c-1' } },
      { type: 'Counted', data: { n: 2 }, metadata: { correlationId: 'c-2' } },
    ])
    const correlations = defineAggregate<string[], object, RecordedEvent<{ n: number }>>({
      category: 'Tally',
      commands: {},
      initialState: () => [],
      decide: () => [],
      evolve: (s, e) => [...s, `${e.data.n}:${e.metadata.correlationId}`],
    })
    const repository = new AggregateRepository(store, { registry: new EventRegistry() })
    const readMetadata: (boolean | undefined)[] = []
    const read = store.readStream.bind(store)
    jest.spyOn(store, 'readStream').mockImplementation((streamId, options) => {
      readMetadata.push(options?.readMetadata)
      return read(streamId, options)
    })

    expect((await repository.get(tally, '2')).state).toEqual({ count: 2, total: 3 })
    expect((await repository.get(correlations, '2')).state).toEqual(['1:c-1', '2:c-2'])
    expect((await repository.get(correlations, '2')).state).toEqual(['1:c-1', '2:c-2'])
    // The decider that reads metadata starts over once with it, then reads it from the start.
    expect(readMetadata).toEqual([false, false, true, true])
  })
})
