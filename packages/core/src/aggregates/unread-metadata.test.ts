import {
  Aggregate,
  AggregateRepository,
  AggregateRoot,
  createEventfold,
  defineAggregate,
  defineUpcaster,
  Event,
  EventRegistry,
  EventSourcingHandler,
  InMemoryEventStore,
  isMetadataNotReadError,
  MetadataNotReadError,
  type EventStore,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../index'
import { unreadMetadata } from '../events/unread-metadata'
import { Account, Deposit, OpenAccount } from '../__fixtures__/account'

/** The in-memory store, which leaves metadata unread when asked as the durable stores do, recording each read's `readMetadata`. */
const storeLeavingMetadataUnread = () => {
  const store = new InMemoryEventStore()
  const reads: boolean[] = []
  const readStream = store.readStream.bind(store)
  store.readStream = (streamId: string, options: ReadStreamOptions = {}) => {
    reads.push(options.readMetadata ?? true)
    return readStream(streamId, options)
  }
  return { store, reads }
}

describe('unreadMetadata', () => {
  const metadata = unreadMetadata(3)

  it('answers the schema version and fails on every other field, naming it', () => {
    expect(metadata.schemaVersion).toBe(3)
    expect(() => metadata.eventId).toThrow(MetadataNotReadError)
    try {
      void metadata.correlationId
    } catch (error) {
      expect(isMetadataNotReadError(error) && error.field).toBe('correlationId')
      expect((error as Error).message).toMatch(/metadata\.correlationId was not read/)
    }
  })

  it('fails on enumeration, serialization and writes instead of answering part of the metadata', () => {
    expect(() => Object.keys(metadata)).toThrow(MetadataNotReadError)
    expect(() => ({ ...metadata })).toThrow(MetadataNotReadError)
    expect(() => JSON.stringify(metadata)).toThrow(MetadataNotReadError)
    expect(() => ((metadata as { eventId: string }).eventId = 'x')).toThrow(MetadataNotReadError)
  })

  it('answers what generic code probes on any object, and is one object per version', async () => {
    await expect(Promise.resolve(metadata)).resolves.toBe(metadata)
    expect(metadata.constructor).toBe(Object)
    expect({ metadata }).toEqual({ metadata })
    expect(unreadMetadata(3)).toBe(metadata)
    expect(unreadMetadata(4)).not.toBe(metadata)
  })
})

@Event('UnreadTallied')
class Tallied {
  constructor(readonly n: number) {}
}

const seedTallies = async (store: EventStore, streamId: string, count = 3) => {
  await store.appendToStream(
    streamId,
    Array.from({ length: count }, (_, n) => ({ type: 'UnreadTallied', data: { n }, metadata: { correlationId: `c-${n}` } })),
  )
}

describe('An aggregate load leaves metadata unread only where no application code can see it', () => {
  it('for a class whose handlers take the event alone', async () => {
    const { store, reads } = storeLeavingMetadataUnread()
    const app = createEventfold({ eventStore: store, aggregates: [Account] })
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await app.commandBus.execute(new Deposit('a1', 5))
    reads.length = 0

    const loaded = await new AggregateRepository(store).get<Account>(Account, 'a1')

    expect(loaded.state).toMatchObject({ owner: 'Ann', balance: 5 })
    expect(reads).toEqual([false])
  })

  it('not for a class with a handler that takes the recorded event', async () => {
    @Aggregate('UnreadRecorded')
    class Recorded extends AggregateRoot {
      correlations: string[] = []
      @EventSourcingHandler(Tallied)
      on(_e: Tallied, recorded: RecordedEvent): void {
        this.correlations.push(recorded.metadata.correlationId!)
      }
    }
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'UnreadRecorded-1')

    const loaded = await new AggregateRepository(store).get<Recorded>(Recorded, '1')

    expect(loaded.state.correlations).toEqual(['c-0', 'c-1', 'c-2'])
    expect(reads).toEqual([true])
  })

  it('and starts over with metadata when a handler reads it without declaring it, then reads it from the start', async () => {
    @Aggregate('UnreadHidden')
    class Hidden extends AggregateRoot {
      correlations: string[] = []
      @EventSourcingHandler(Tallied)
      on(_e: Tallied): void {
        // eslint-disable-next-line prefer-rest-params
        this.correlations.push((arguments[1] as RecordedEvent).metadata.correlationId!)
      }
    }
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'UnreadHidden-1')
    const repository = new AggregateRepository(store)

    const first = await repository.get<Hidden>(Hidden, '1')
    const second = await repository.get<Hidden>(Hidden, '1')

    expect(first.state.correlations).toEqual(['c-0', 'c-1', 'c-2'])
    expect(second.state.correlations).toEqual(['c-0', 'c-1', 'c-2'])
    expect(reads).toEqual([false, true, true])
  })

  it('and lets a handler fail on metadata that another read left out, with MetadataNotReadError, once', async () => {
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'UnreadKept-1')
    const kept: RecordedEvent[] = []
    for await (const e of store.readStream('UnreadKept-1', { readMetadata: false })) kept.push(e)
    @Aggregate('UnreadKept')
    class Kept extends AggregateRoot {
      @EventSourcingHandler(Tallied)
      on(e: Tallied): void {
        void kept[e.n]!.metadata.correlationId
      }
    }
    reads.length = 0

    await expect(new AggregateRepository(store).get(Kept, '1')).rejects.toThrow(MetadataNotReadError)
    // The load started over once with metadata, which did not help: the failure is the handler's.
    expect(reads).toEqual([false, true])
  })

  it('but lets any other error of a handler through as it is', async () => {
    @Aggregate('UnreadFailing')
    class Failing extends AggregateRoot {
      @EventSourcingHandler(Tallied)
      on(e: Tallied): void {
        if (e.n === 1) throw new RangeError('n is 1')
      }
    }
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'UnreadFailing-1')

    await expect(new AggregateRepository(store).get(Failing, '1')).rejects.toThrow(RangeError)
    expect(reads).toEqual([false])
  })

  it('for a decider with two parameters, classed events or not, until its evolve reads metadata', async () => {
    const { store, reads } = storeLeavingMetadataUnread()
    await store.appendToStream('Plain-1', [
      { type: 'UnreadTallied', data: { n: 1 } },
      { type: 'Untyped', data: { n: 2 }, metadata: { correlationId: 'c-2' } },
    ])
    const registry = new EventRegistry()
    registry.registerClasses([Tallied])
    const seen: string[] = []
    const plain = (readMeta: boolean) =>
      defineAggregate<number, object, Tallied | RecordedEvent<{ n: number }>>({
        category: 'Plain',
        commands: {},
        initialState: () => 0,
        decide: () => [],
        evolve: (total, e) => {
          if (e instanceof Tallied) return total + e.n
          if (readMeta) seen.push(e.metadata.correlationId!)
          return total + e.data.n
        },
      })
    const repository = new AggregateRepository(store, { registry })

    expect((await repository.get(plain(false), '1')).state).toBe(3)
    expect(reads).toEqual([false])
    expect((await repository.get(plain(true), '1')).state).toBe(3)
    expect(seen).toEqual(['c-2'])
    expect(reads).toEqual([false, false, true])
  })

  it('not for a decider whose evolve takes the recorded event, nor with onEvent or until', async () => {
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'Tally-1')
    const tally = (evolve: (n: number, e: Tallied, recorded: RecordedEvent) => number) =>
      defineAggregate<number, object, Tallied>({ category: 'Tally', commands: {}, initialState: () => 0, decide: () => [], evolve })
    const registry = new EventRegistry()
    registry.registerClasses([Tallied])
    const repository = new AggregateRepository(store, { registry })
    const byData = tally((n, e) => n + e.n)

    await repository.get(tally((n, _e, recorded) => n + recorded.revision.toString().length), '1')
    await repository.get(byData, '1', { onEvent: () => undefined })
    await repository.get(byData, '1', { until: new Date(Date.now() + 60_000) })
    expect(reads).toEqual([true, true, true])

    await repository.get(byData, '1')
    expect(reads.at(-1)).toBe(false)
  })

  it('with upcasters, until one runs: the load then starts over with metadata, which the upcaster is handed', async () => {
    const { store, reads } = storeLeavingMetadataUnread()
    await seedTallies(store, 'Tally-1')
    const tally = () =>
      defineAggregate<number, object, { data: { n: number } }>({ category: 'Tally', commands: {}, initialState: () => 0, decide: () => [], evolve: (n, e) => n + e.data.n })
    const correlations: string[] = []
    const upcaster = defineUpcaster('UnreadTallied', 1, (data: { n: number }, metadata) => {
      correlations.push(metadata.correlationId!)
      return { n: data.n * 10 }
    })
    const current = new EventRegistry()
    current.register('UnreadTallied', { version: 1 })
    current.addUpcaster(defineUpcaster('Other', 1, (data) => data))
    const later = new EventRegistry()
    later.register('UnreadTallied', { version: 2 })
    later.addUpcaster(upcaster)

    // An upcaster of another type never runs: metadata stays out.
    expect((await new AggregateRepository(store, { registry: current }).get(tally(), '1')).state).toBe(3)
    expect(reads).toEqual([false])
    // Every event is at version 1 of 2: the first upcast starts the load over.
    const upcasting = tally()
    expect((await new AggregateRepository(store, { registry: later }).get(upcasting, '1')).state).toBe(30)
    expect(correlations).toEqual(['c-0', 'c-1', 'c-2'])
    expect(reads).toEqual([false, false, true])
    await new AggregateRepository(store, { registry: later }).get(upcasting, '1')
    expect(reads.at(-1)).toBe(true)
  })
})
