// #region imports
import { Aggregate, AggregateId, AggregateRoot, Command, CommandHandler, createEventfold, Event, EventSourcingHandler, InMemoryEventStore } from '@eventfold/core'
import { commandTarget, Deadlines, DeadlineWorker, InMemoryDeadlineStore } from '@eventfold/sagas'
import { TestClock } from '@eventfold/sagas/testing'
// #endregion imports

// #region aggregate
@Event('OrderPlaced')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}
@Event('OrderPaid')
class OrderPaid {
  constructor(readonly orderId: string) {}
}
@Event('OrderCancelled')
class OrderCancelled {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

@Command('PlaceOrder')
class PlaceOrder {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('PayOrder')
class PayOrder {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
/** What the payment-timeout deadline sends. Idempotent against the state: an order already paid or cancelled stays as it is. */
@Command('CancelUnpaidOrder')
class CancelUnpaidOrder {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}

@Aggregate('Order')
class Order extends AggregateRoot {
  status: 'placed' | 'paid' | 'cancelled' = 'placed'

  @CommandHandler(PlaceOrder, { creates: true })
  place({ orderId }: PlaceOrder): void {
    this.apply(new OrderPlaced(orderId))
  }

  @CommandHandler(PayOrder)
  pay({ orderId }: PayOrder): void {
    if (this.status === 'placed') this.apply(new OrderPaid(orderId))
  }

  @CommandHandler(CancelUnpaidOrder)
  cancelUnpaid({ orderId }: CancelUnpaidOrder): void {
    if (this.status === 'placed') this.apply(new OrderCancelled(orderId, 'not paid in time'))
  }

  @EventSourcingHandler(OrderPaid) onPaid(): void {
    this.status = 'paid'
  }
  @EventSourcingHandler(OrderCancelled) onCancelled(): void {
    this.status = 'cancelled'
  }
}
// #endregion aggregate

describe('the README', () => {
  it('cancels an unpaid order when its payment deadline fires, and leaves a paid one alone', async () => {
    const eventStore = new InMemoryEventStore()
    // #region usage
    const app = createEventfold({ eventStore, aggregates: [Order] })
    const store = new InMemoryDeadlineStore() // SqliteDeadlineStore, PostgresDeadlineStore or MongoDeadlineStore in an application
    const clock = new TestClock() // the system clock by default; tests move this one

    const worker = new DeadlineWorker(store, {
      clock,
      handlers: { 'payment-timeout': commandTarget(app.commandBus, (d) => new CancelUnpaidOrder(d.scope.slice('Order-'.length))) },
    })
    const deadlines = new Deadlines(store, { clock, onScheduled: () => worker.wake() })
    void worker.start()

    // A command handler of the application: place the order, then give it 15 minutes to be paid.
    const placeOrder = async (orderId: string): Promise<void> => {
      const { streamId } = await app.commandBus.execute(new PlaceOrder(orderId))
      await deadlines.scope(streamId).schedule('payment-timeout', { after: 15 * 60_000 })
    }
    const payOrder = async (orderId: string): Promise<void> => {
      const { streamId } = await app.commandBus.execute(new PayOrder(orderId))
      await deadlines.scope(streamId).cancel('payment-timeout')
    }

    await placeOrder('o1')
    await placeOrder('o2')
    await payOrder('o2')
    clock.advance(15 * 60_000) // o1's deadline is due: the worker sends CancelUnpaidOrder('o1')
    // #endregion usage

    while (worker.counters.fired < 1) await new Promise((resolve) => setImmediate(resolve))
    await worker.stop()
    const types = async (streamId: string) => {
      const out: { type: string; deadlineId: unknown }[] = []
      for await (const e of eventStore.readStream(streamId)) out.push({ type: e.type, deadlineId: e.metadata.deadlineId })
      return out
    }
    const [cancelled] = await store.list({ state: 'fired' })
    expect(await types('Order-o1')).toEqual([
      { type: 'OrderPlaced', deadlineId: undefined },
      { type: 'OrderCancelled', deadlineId: cancelled!.id },
    ])
    expect(await types('Order-o2')).toEqual([
      { type: 'OrderPlaced', deadlineId: undefined },
      { type: 'OrderPaid', deadlineId: undefined },
    ])
    // A redelivery (a worker killed after the command, before the mark) decides nothing new.
    await commandTarget(app.commandBus, (d) => new CancelUnpaidOrder(d.scope.slice('Order-'.length)))({ ...cancelled!, payload: null })
    expect(await types('Order-o1')).toHaveLength(2)
  })
})
