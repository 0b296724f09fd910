import { Container, injectable } from 'inversify'
import {
  Aggregate,
  AggregateRoot,
  AggregateRepository,
  AggregateNotFoundError,
  Command,
  CommandBus,
  CommandHandler,
  ConcurrencyError,
  createEventfold,
  defineAggregate,
  DomainError,
  Event,
  EventHandler,
  EventSourcingHandler,
  InMemoryEventStore,
  InMemorySnapshotStore,
  retryOnConcurrency,
  StreamAlreadyExistsError,
  UndecoratedClassError,
  UnknownCommandError,
  ValidationError,
  validation,
  SerializationError,
  MissingUpcasterError,
  AggregateId,
  defineUpcaster,
  EventRegistry,
  type RecordedEvent,
} from '../index'
import { Account, AccountOpened, Deposit, Deposited, OpenAccount } from '../__fixtures__/account'

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('CommandBus with a decorated aggregate', () => {
  const setup = (retry: false | { maxAttempts: number } = false) => {
    const eventStore = new InMemoryEventStore()
    const snapshotStore = new InMemorySnapshotStore()
    const app = createEventfold({ eventStore, snapshotStore, aggregates: [Account], retry })
    return { app, eventStore, snapshotStore }
  }

  it('refuses an aggregate id that is not a string, as a request body can carry, instead of sharing one stream between them', async () => {
    const noted = defineAggregate<object, { type: string; id: string }, { type: string; data: object }>({
      category: 'Noted',
      commands: { Note: { aggregateId: (c) => c.id, creates: true } },
      initialState: () => ({}),
      decide: (c) => [{ type: 'Noted', data: { id: c.id } }],
      evolve: (s) => s,
    })
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [noted] })
    const hostile = JSON.parse('{"type": "Note", "id": {"$ne": "nobody"}}') as { type: string; id: string }
    await expect(app.commandBus.execute(hostile)).rejects.toMatchObject({ type: 'validation', commandType: 'Note' })
    expect(await eventStore.headPosition()).toBeUndefined()
  })

  it('loads, decides and appends, returning the revision and position of the append', async () => {
    const { app, eventStore } = setup()
    const opened = await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    expect(opened).toMatchObject({ streamId: 'TestAccount-a1', aggregateId: 'a1', nextRevision: 0n, position: 1n })
    const deposited = await app.commandBus.execute(new Deposit('a1', 10))
    expect(deposited).toMatchObject({ nextRevision: 1n, position: 2n })
    const events = await collect(eventStore.readStream('TestAccount-a1'))
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['TestAccountOpened', { accountId: 'a1', owner: 'Ann' }],
      ['TestDeposited', { accountId: 'a1', amount: 10 }],
    ])
    const loaded = await app.repository.get<Account>(Account, 'a1')
    expect(loaded.state.balance).toBe(10)
    expect(loaded.state.id).toBe('a1')
  })

  it('propagates correlation and causation from the command to every event it causes', async () => {
    const { app, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'), { metadata: { correlationId: 'corr-1', userId: 'u1' } })
    const [event] = await collect(eventStore.readStream('TestAccount-a1'))
    expect(event!.metadata).toMatchObject({ correlationId: 'corr-1', userId: 'u1', schemaVersion: 1 })
    expect(typeof event!.metadata.causationId).toBe('string')
    expect(event!.metadata.causationId).not.toBe('corr-1')
  })

  it('starts a new correlation from the command id when none is given', async () => {
    const { app, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    const [event] = await collect(eventStore.readStream('TestAccount-a1'))
    expect(event!.metadata.correlationId).toBe(event!.metadata.causationId)
  })

  it('rejects a creating command when the stream exists, and other commands when it does not', async () => {
    const { app } = setup()
    await expect(app.commandBus.execute(new Deposit('nope', 1))).rejects.toBeInstanceOf(AggregateNotFoundError)
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await expect(app.commandBus.execute(new OpenAccount('a1', 'Bob'))).rejects.toMatchObject({
      type: 'stream-already-exists',
      streamId: 'TestAccount-a1',
      actual: 0n,
    })
    await expect(app.commandBus.execute(new OpenAccount('a1', 'Bob'))).rejects.toBeInstanceOf(StreamAlreadyExistsError)
  })

  it('appends nothing when the aggregate rejects a command', async () => {
    const { app, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await expect(app.commandBus.execute(new Deposit('a1', -5))).rejects.toMatchObject({ type: 'domain', code: 'invalid-amount' })
    expect(await eventStore.streamRevision('TestAccount-a1')).toBe(0n)
  })

  it('gives typed errors for bad input and appends nothing', async () => {
    const { app, eventStore } = setup()
    @Command('NobodyHandlesThis') class Orphan { @AggregateId() id = 'x' }
    class NotACommand { id = 'x' }
    @Command('TestDeposit2') class NoId { amount = 1 }
    await expect(app.commandBus.execute(new Orphan())).rejects.toMatchObject({ type: 'unknown-command', commandType: 'NobodyHandlesThis' })
    await expect(app.commandBus.execute(new Orphan())).rejects.toBeInstanceOf(UnknownCommandError)
    await expect(app.commandBus.execute(new NotACommand())).rejects.toBeInstanceOf(UndecoratedClassError)
    await expect(app.commandBus.execute({ type: 'TestDeposit', amount: 1 })).rejects.toBeInstanceOf(ValidationError)
    const deposit = new Deposit('', 1)
    await expect(app.commandBus.execute(deposit)).rejects.toMatchObject({ type: 'validation', commandType: 'TestDeposit' })
    void NoId
    expect(await eventStore.headPosition()).toBeUndefined()
  })

  it('takes a snapshot every N events and loads from it', async () => {
    const { app, snapshotStore, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    for (let i = 0; i < 6; i++) await app.commandBus.execute(new Deposit('a1', 1))
    const snap = await snapshotStore.load('TestAccount-a1')
    expect(snap).toMatchObject({ revision: 4n, schemaVersion: 1, state: { owner: 'Ann', balance: 4 } })
    const repo = new AggregateRepository(eventStore, { snapshots: snapshotStore })
    const loaded = await repo.get<Account>(Account, 'a1')
    expect(loaded).toMatchObject({ revision: 6n, snapshotRevision: 4n, eventsRead: 2 })
    expect(loaded.state.balance).toBe(6)
  })

  it('ignores a snapshot written for another schema version', async () => {
    const { app, snapshotStore, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await app.commandBus.execute(new Deposit('a1', 3))
    await snapshotStore.save({ streamId: 'TestAccount-a1', revision: 1n, schemaVersion: 99, state: { balance: 1000 }, takenAt: new Date().toISOString() })
    const loaded = await new AggregateRepository(eventStore, { snapshots: snapshotStore }).get<Account>(Account, 'a1')
    expect(loaded.state.balance).toBe(3)
    expect(loaded.snapshotRevision).toBeUndefined()
  })

  it('loads the state at a revision and at a point in time', async () => {
    const { app, eventStore } = setup()
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await app.commandBus.execute(new Deposit('a1', 1))
    await app.commandBus.execute(new Deposit('a1', 2))
    const repo = new AggregateRepository(eventStore)
    expect((await repo.get<Account>(Account, 'a1', { toRevision: 1n })).state.balance).toBe(1)
    const all = await collect(eventStore.readStream('TestAccount-a1'))
    const secondAt = new Date(all[1]!.metadata.occurredAt)
    expect((await repo.get<Account>(Account, 'a1', { until: secondAt })).revision).toBeGreaterThanOrEqual(1n)
    const atStart = await repo.load<Account>(Account, 'a1', { until: new Date(0) })
    expect(atStart.revision).toBeUndefined()
  })
})

describe('optimistic concurrency on one account', () => {
  const run = async (retry: false | { maxAttempts: number }) => {
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [Account], retry })
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    // All 20 load before any of them appends, so they race for the same revisions.
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => app.commandBus.execute(new Deposit('a1', 1))))
    const events = await collect(eventStore.readStream('TestAccount-a1'))
    return { results, events }
  }

  it('lets exactly one command win each revision when retry is off', async () => {
    const { results, events } = await run(false)
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won.length + lost.length).toBe(20)
    expect(lost.every((r) => r.reason instanceof ConcurrencyError)).toBe(true)
    const revisions = won.map((r) => (r as PromiseFulfilledResult<{ nextRevision: bigint }>).value.nextRevision)
    expect(new Set(revisions).size).toBe(won.length)
    expect(events.length).toBe(1 + won.length)
    expect(lost.length).toBeGreaterThan(0)
    for (const r of lost) expect(r.reason).toMatchObject({ streamId: 'TestAccount-a1', expected: expect.any(BigInt), actual: expect.any(BigInt) })
  })

  it('lets all 20 succeed with retry on, each event stored exactly once', async () => {
    const { results, events } = await run({ maxAttempts: 50 })
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    expect(events.length).toBe(21)
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 21 }, (_, i) => BigInt(i)))
    expect(new Set(events.map((e) => e.metadata.eventId)).size).toBe(21)
  })
})

describe('payloads that JSON cannot represent', () => {
  @Event('TestOddEvent') class Odd { constructor(readonly value: unknown) {} }
  @Command('TestEmitOdd') class EmitOdd { @AggregateId() id = 'o1'; constructor(readonly value: unknown) {} }
  @Aggregate('TestOdd')
  class OddAggregate extends AggregateRoot {
    @CommandHandler(EmitOdd, { creates: true }) emit(c: EmitOdd) { this.apply(new Odd(c.value)) }
    @EventSourcingHandler(Odd) on() {}
  }
  const circular: Record<string, unknown> = {}
  circular.self = circular

  it.each([
    ['a BigInt', 10n],
    ['a circular object', circular],
  ])('refuses %s with SerializationError and appends nothing', async (_, value) => {
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [OddAggregate] })
    await expect(app.commandBus.execute(new EmitOdd(value))).rejects.toBeInstanceOf(SerializationError)
    expect(await eventStore.headPosition()).toBeUndefined()
  })

  it('refuses an event of an undecorated class with UndecoratedClassError', async () => {
    class Plain { constructor(readonly x: number) {} }
    @Command('TestEmitPlain') class EmitPlain { @AggregateId() id = 'p1' }
    @Aggregate('TestPlain')
    class PlainAggregate extends AggregateRoot {
      @CommandHandler(EmitPlain, { creates: true }) emit() { this.apply(new Plain(1)) }
    }
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [PlainAggregate] })
    await expect(app.commandBus.execute(new EmitPlain())).rejects.toMatchObject({ type: 'undecorated-class', className: 'Plain', decorator: 'Event' })
    expect(await eventStore.headPosition()).toBeUndefined()
  })
})

describe('upcasting', () => {
  const registry = new EventRegistry()
  registry.register('PriceSet', { version: 3 })
  registry.addUpcaster(defineUpcaster<{ cents: number }, { amount: number }>('PriceSet', 1, (d) => ({ amount: d.cents / 100 })))
  registry.addUpcaster(defineUpcaster<{ amount: number }, { amount: number; currency: string }>('PriceSet', 2, (d) => ({ ...d, currency: 'EUR' })))

  const priced = defineAggregate<{ price?: { amount: number; currency: string } }, { type: string; id: string; event?: object }, { type: string; data: { amount: number; currency: string } }>({
    category: 'Priced',
    commands: { SetPrice: { aggregateId: (c) => c.id, creates: false }, Create: { aggregateId: (c) => c.id, creates: true } },
    initialState: () => ({}),
    decide: (c) => (c.event ? [c.event as never] : []),
    evolve: (s, e) => (e.type === 'PriceSet' ? { price: e.data } : s),
  })

  it('lifts old versions on read through the upcaster chain', async () => {
    const store = new InMemoryEventStore()
    await store.appendToStream('Priced-p1', [{ type: 'PriceSet', data: { cents: 250 }, metadata: { schemaVersion: 1 } }])
    const repo = new AggregateRepository(store, { registry })
    const loaded = await repo.get<{ price?: object }>(priced, 'p1')
    expect(loaded.state.price).toEqual({ amount: 2.5, currency: 'EUR' })
  })

  it('writes the newest version, upcasting old data written by a command', async () => {
    const store = new InMemoryEventStore()
    const bus = new CommandBus({ repository: new AggregateRepository(store, { registry }) }).register(priced)
    await bus.execute({ type: 'Create', id: 'p1', event: { type: 'PriceSet', data: { cents: 100 }, metadata: { schemaVersion: 1 } } })
    const [e] = await collect(store.readStream('Priced-p1'))
    expect(e).toMatchObject({ data: { amount: 1, currency: 'EUR' }, metadata: { schemaVersion: 3 } })
  })

  it('fails with MissingUpcasterError when a step is missing, appending nothing', async () => {
    const sparse = new EventRegistry()
    sparse.register('PriceSet', { version: 3 })
    sparse.addUpcaster(defineUpcaster('PriceSet', 2, (d) => d))
    const store = new InMemoryEventStore()
    await store.appendToStream('Priced-p1', [{ type: 'PriceSet', data: { cents: 1 }, metadata: { schemaVersion: 1 } }])
    const bus = new CommandBus({ repository: new AggregateRepository(store, { registry: sparse }) }).register(priced)
    await expect(bus.execute({ type: 'SetPrice', id: 'p1' })).rejects.toMatchObject({
      type: 'missing-upcaster',
      eventType: 'PriceSet',
      fromVersion: 1,
      toVersion: 3,
      streamId: 'Priced-p1',
      revision: 0n,
    })
    await expect(
      bus.execute({ type: 'Create', id: 'p2', event: { type: 'PriceSet', data: {}, metadata: { schemaVersion: 1 } } }),
    ).rejects.toBeInstanceOf(MissingUpcasterError)
    expect(await store.streamRevision('Priced-p2')).toBeUndefined()
  })
})

describe('dependency injection and handlers', () => {
  @injectable()
  class FeePolicy {
    fee(amount: number): number {
      return amount > 100 ? 1 : 0
    }
  }
  @Event('TestFeeCharged') class FeeCharged { constructor(readonly amount: number) {} }
  @Command('TestPay') class Pay { @AggregateId() id: string; constructor(id: string, readonly amount: number) { this.id = id } }
  @Aggregate('TestWallet')
  class Wallet extends AggregateRoot {
    constructor(private readonly policy: FeePolicy) { super() }
    @CommandHandler(Pay, { creates: true }) pay(c: Pay) {
      const fee = this.policy.fee(c.amount)
      if (fee > 0) this.apply(new FeeCharged(fee))
    }
    @EventSourcingHandler(FeeCharged) on() {}
  }
  class Audit {
    seen: RecordedEvent[] = []
    @EventHandler(FeeCharged) onFee(_e: FeeCharged, r: RecordedEvent) { this.seen.push(r) }
  }

  it('injects aggregate dependencies from the container and delivers committed events to handlers', async () => {
    const container = new Container()
    container.bind(FeePolicy).toSelf()
    const app = createEventfold({ eventStore: new InMemoryEventStore(), aggregates: [Wallet], eventHandlers: [Audit], container })
    const result = await app.commandBus.execute(new Pay('w1', 500))
    expect(result.events).toHaveLength(1)
    const audit = container.get(Audit)
    expect(audit.seen.map((r) => [r.type, r.position])).toEqual([['TestFeeCharged', result.position]])
  })

  it('runs validation middleware before any I/O', async () => {
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({
      eventStore,
      aggregates: [Account],
      middleware: [validation((c) => ((c as Deposit).amount > 1000 ? [{ path: 'amount', message: 'too large' }] : []))],
    })
    await app.commandBus.execute(new OpenAccount('v1', 'V'))
    await expect(app.commandBus.execute(new Deposit('v1', 5000))).rejects.toMatchObject({
      type: 'validation',
      issues: [{ path: 'amount', message: 'too large' }],
    })
    expect(await eventStore.streamRevision('TestAccount-v1')).toBe(0n)
  })

  it('retries only concurrency errors', async () => {
    let calls = 0
    const mw = retryOnConcurrency({ maxAttempts: 3, initialDelayMs: 1 })
    const ctx = { command: {}, commandType: 'X', commandId: 'c', metadata: {}, attempt: 1 }
    await expect(mw(ctx, async () => { calls++; throw new DomainError('no') })).rejects.toBeInstanceOf(DomainError)
    expect(calls).toBe(1)
  })
})

void Deposited
void AccountOpened
