import { AggregateRepository, createEventfold, InMemoryEventStore, type EventStore, type ReadStreamOptions, type RecordedEvent } from '../index'
import { eventRead } from '../spi'
import { Account, Deposit, OpenAccount } from '../__fixtures__/account'

/** An in-memory store whose stream reads come in pages of `size`, as a networked store's do; it counts the pages fetched. */
const pagedStore = (size: number) => {
  const inner = new InMemoryEventStore()
  const stats = { pages: 0, closed: 0, eventByEvent: 0 }
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    readStream(streamId: string, options?: ReadStreamOptions) {
      const read = eventRead(async function* () {
        let page: RecordedEvent[] = []
        try {
          for await (const event of inner.readStream(streamId, options)) {
            page.push(event)
            if (page.length === size) {
              stats.pages++
              yield page
              page = []
            }
          }
          if (page.length > 0) {
            stats.pages++
            yield page
          }
        } finally {
          stats.closed++
        }
      })
      const byEvent = read[Symbol.asyncIterator].bind(read)
      return Object.assign(read, {
        [Symbol.asyncIterator]: () => {
          stats.eventByEvent++
          return byEvent()
        },
      })
    },
  })
  return { store, stats }
}

describe('AggregateRepository over a paged read', () => {
  const seed = async (store: EventStore) => {
    const app = createEventfold({ eventStore: store, aggregates: [Account] })
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    for (let i = 1; i <= 6; i++) await app.commandBus.execute(new Deposit('a1', i))
  }

  it('folds every page, as a read event by event does', async () => {
    const { store, stats } = pagedStore(3)
    await seed(store)
    stats.pages = 0
    const loaded = await new AggregateRepository(store).get<Account>(Account, 'a1')
    expect(loaded).toMatchObject({ revision: 6n, eventsRead: 7 })
    expect(loaded.state.balance).toBe(21)
    expect(stats.pages).toBe(3)
    // Folded page by page: the event-by-event iterator was never asked for.
    expect(stats.eventByEvent).toBe(0)
    // The same events through `for await`.
    const events: RecordedEvent[] = []
    for await (const e of store.readStream('TestAccount-a1')) events.push(e)
    expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n])
  })

  it('stops fetching pages at toRevision and ends the read', async () => {
    const { store, stats } = pagedStore(2)
    await seed(store)
    stats.pages = 0
    stats.closed = 0
    const loaded = await new AggregateRepository(store).get<Account>(Account, 'a1', { toRevision: 2n })
    expect(loaded).toMatchObject({ revision: 2n, eventsRead: 3 })
    expect(loaded.state.balance).toBe(3)
    // Pages 1 (revisions 0-1) and 2 (2-3): the load stops inside the second and fetches no third.
    expect(stats.pages).toBe(2)
    expect(stats.closed).toBe(1)
    expect(stats.eventByEvent).toBe(0)
  })
})
