import { Container, injectable } from 'inversify'
import {
  connectHandlers,
  eventfoldModule,
  EventHandlerError,
  InMemoryEventStore,
  Query,
  QueryHandler,
  EventHandler,
  TOKENS,
  UnknownQueryError,
  type CommandBus,
  type EventBus,
  type QueryBus,
  type RecordedEvent,
} from '../index'
import { Account, Deposit, Deposited, OpenAccount } from '../__fixtures__/account'

@Query('TestBalanceOf')
class BalanceOf {
  constructor(readonly accountId: string) {}
}

@injectable()
class Balances {
  readonly byAccount = new Map<string, number>()
  @EventHandler(Deposited) onDeposited(e: Deposited): void {
    this.byAccount.set(e.accountId, (this.byAccount.get(e.accountId) ?? 0) + e.amount)
  }
  @QueryHandler(BalanceOf) balance(q: BalanceOf): number {
    return this.byAccount.get(q.accountId) ?? 0
  }
}

describe('eventfoldModule in an existing container', () => {
  it('binds the buses and connects aggregates, event handlers and query handlers', async () => {
    const container = new Container()
    const config = { eventStore: new InMemoryEventStore(), aggregates: [Account], eventHandlers: [Balances], queryHandlers: [Balances] }
    container.loadSync(eventfoldModule(config))
    connectHandlers(container, config)
    const commandBus = container.get<CommandBus>(TOKENS.CommandBus)
    const queryBus = container.get<QueryBus>(TOKENS.QueryBus)
    await commandBus.execute(new OpenAccount('a1', 'Ann'))
    await commandBus.execute(new Deposit('a1', 7))
    await commandBus.execute(new Deposit('a1', 3))
    await expect(queryBus.execute(new BalanceOf('a1'))).resolves.toBe(10)
    await expect(queryBus.execute({ type: 'NoSuchQuery' })).rejects.toBeInstanceOf(UnknownQueryError)
  })
})

describe('EventBus', () => {
  const recorded = (type: string, data: unknown): RecordedEvent => ({
    type,
    data,
    metadata: { eventId: 'e1', occurredAt: new Date().toISOString(), schemaVersion: 1 },
    streamId: 'S-1',
    revision: 0n,
    position: 1n,
  })

  it('retries a failing handler, then rejects with the facts instead of swallowing the error', async () => {
    const container = new Container()
    const config = { eventStore: new InMemoryEventStore() }
    container.loadSync(eventfoldModule(config))
    connectHandlers(container, config)
    const bus = container.get<EventBus>(TOKENS.EventBus)
    let calls = 0
    bus.subscribe('Boom', () => {
      calls++
      throw new Error('kaput')
    }, 'boomHandler')
    await expect(bus.publish([recorded('Boom', {})])).rejects.toMatchObject({
      type: 'event-handler',
      handler: 'boomHandler',
      streamId: 'S-1',
      revision: 0n,
      attempts: 3,
    })
    expect(calls).toBe(3)
    await expect(bus.publish([recorded('Boom', {})])).rejects.toBeInstanceOf(EventHandlerError)
  })

  it('recovers when a retry succeeds and stops delivering after unsubscribe', async () => {
    const container = new Container()
    container.loadSync(eventfoldModule({ eventStore: new InMemoryEventStore() }))
    const bus = container.get<EventBus>(TOKENS.EventBus)
    let calls = 0
    const off = bus.subscribe('Flaky', () => {
      if (++calls === 1) throw new Error('once')
    })
    await bus.publish([recorded('Flaky', {})])
    expect(calls).toBe(2)
    off()
    await bus.publish([recorded('Flaky', {})])
    expect(calls).toBe(2)
    expect(bus.hasHandlers).toBe(false)
  })
})
