import {
  Aggregate,
  aggregateIdOfStream,
  AggregateId,
  AggregateRepository,
  AggregateRoot,
  aggregateStreamId,
  Command,
  CommandHandler,
  createEventfold,
  defineAggregate,
  EventSourcingHandler,
  InMemoryEventStore,
} from '../index'
import { Account, OpenAccount } from '../__fixtures__/account'

@Command('TestOpenBook')
class OpenBook {
  @AggregateId() bookId: string
  constructor(bookId: string) {
    this.bookId = bookId
  }
}

@Aggregate('TestBook', { streamPrefix: 'library.book:' })
class Book extends AggregateRoot {
  opened = false

  @CommandHandler(OpenBook, { creates: true })
  open(c: OpenBook): void {
    this.apply({ type: 'TestBookOpened', data: { bookId: c.bookId } })
  }

  @EventSourcingHandler('TestBookOpened')
  onOpened(): void {
    this.opened = true
  }
}

const shelf = defineAggregate<{ books: number }, { type: string; shelfId: string }, { type: string; data: object }>({
  category: 'TestShelf',
  streamPrefix: 'library.shelf/',
  commands: { TestAddShelf: { aggregateId: (c) => c.shelfId, creates: true } },
  initialState: () => ({ books: 0 }),
  decide: (c) => ({ type: 'TestShelfAdded', data: { shelfId: c.shelfId } }),
  evolve: (s) => ({ books: s.books + 1 }),
})

describe('aggregate stream names', () => {
  it('are <category>-<id> by default', () => {
    expect(aggregateStreamId(Account, 'a1')).toBe('TestAccount-a1')
    expect(aggregateIdOfStream(Account, 'TestAccount-a-1')).toBe('a-1')
    expect(aggregateIdOfStream(Account, 'Other-a1')).toBeUndefined()
  })

  it('use the stream prefix an aggregate gives, in the command bus and the repository alike', async () => {
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [Book, shelf] })

    const book = await app.commandBus.execute(new OpenBook('b1'))
    const added = await app.commandBus.execute({ type: 'TestAddShelf', shelfId: 's1' })

    expect(book.streamId).toBe('library.book:b1')
    expect(added.streamId).toBe('library.shelf/s1')
    expect(await eventStore.streamRevision('library.book:b1')).toBe(0n)
    expect((await app.repository.get<Book>(Book, 'b1')).state.opened).toBe(true)
    expect((await app.repository.get(shelf, 's1')).state).toEqual({ books: 1 })
    expect(aggregateStreamId(shelf, 's1')).toBe('library.shelf/s1')
    expect(aggregateIdOfStream(Book, 'library.book:b1')).toBe('b1')
    expect(aggregateIdOfStream(Book, 'library.book:')).toBeUndefined()
  })

  it('refuse an empty stream prefix', () => {
    expect(() => Aggregate('TestEmpty', { streamPrefix: '' })).toThrow(TypeError)
    expect(() =>
      defineAggregate({ category: 'TestEmpty', streamPrefix: '', commands: {}, initialState: () => 0, decide: () => [], evolve: (s) => s }),
    ).toThrow(TypeError)
  })
})

describe('the first events of an aggregate', () => {
  it('need no expected revision through the command bus, which refuses to create twice', async () => {
    const app = createEventfold({ eventStore: new InMemoryEventStore(), aggregates: [Account] })

    await expect(app.commandBus.execute(new OpenAccount('a1', 'Ann'))).resolves.toMatchObject({ nextRevision: 0n })
    await expect(app.commandBus.execute(new OpenAccount('a1', 'Ann'))).rejects.toMatchObject({
      type: 'stream-already-exists',
      streamId: 'TestAccount-a1',
      actual: 0n,
    })
  })

  it('need no expected revision through the repository: a loaded new stream must still be new', async () => {
    const eventStore = new InMemoryEventStore()
    const repository = new AggregateRepository(eventStore)
    const loaded = await repository.load(Account, 'a1')
    await eventStore.appendToStream('TestAccount-a1', [{ type: 'Other', data: {} }])

    await expect(repository.save(Account, loaded, [{ type: 'TestAccountOpened', data: {} }])).rejects.toMatchObject({
      type: 'concurrency',
      expected: 'no_stream',
      actual: 0n,
    })
  })

  it('are appended by repository.create without loading, which refuses an existing stream', async () => {
    const eventStore = new InMemoryEventStore()
    const repository = new AggregateRepository(eventStore)

    const created = await repository.create(Book, 'b1', [{ type: 'TestBookOpened', data: { bookId: 'b1' } }])

    expect(created).toMatchObject({ streamId: 'library.book:b1', nextRevision: 0n })
    expect((await repository.get<Book>(Book, 'b1')).state.opened).toBe(true)
    await expect(repository.create(Book, 'b1', [{ type: 'TestBookOpened', data: { bookId: 'b1' } }])).rejects.toMatchObject({
      type: 'stream-already-exists',
      streamId: 'library.book:b1',
      actual: 0n,
    })
    expect(await eventStore.streamRevision('library.book:b1')).toBe(0n)
  })
})
