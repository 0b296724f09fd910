import { describe, expect, it } from '@jest/globals'
import type { SagaOutcome } from '@eventfold/sagas'
// #region imports
import { Aggregate, AggregateId, AggregateRoot, Command, CommandHandler, createEventfold, Event, InMemoryEventStore } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { Deadlines, DeadlineWorker, dedupeSagaCommands, EndSaga, InMemoryDeadlineStore, localCommands, Saga, SagaDeadlineHandler, SagaEventHandler, Sagas, SagaWorker, StartSaga, type SagaContext } from '@eventfold/sagas'
import { TestClock } from '@eventfold/sagas/testing'
// #endregion imports

// The services' own events and commands (an order, stock, payment), kept small here.
@Event('OrderPlaced')
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly sku: string,
  ) {}
}
@Event('StockReserved')
class StockReserved {
  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {}
}
@Event('PaymentTaken')
class PaymentTaken {
  constructor(readonly reservationId: string) {}
}
@Event('Noted')
class Noted {
  constructor(readonly what: string) {}
}
@Command('ReserveStock')
class ReserveStock {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('ReleaseStock')
class ReleaseStock {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('TakePayment')
class TakePayment {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('CancelOrder')
class CancelOrder {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Aggregate('Fulfilment')
class Fulfilment extends AggregateRoot {
  @CommandHandler(ReserveStock, { creates: true }) reserve(): void {
    this.apply(new Noted('stock reserved'))
  }
  @CommandHandler(ReleaseStock) release(): void {
    this.apply(new Noted('stock released'))
  }
  @CommandHandler(TakePayment) pay(): void {
    this.apply(new Noted('payment requested'))
  }
  @CommandHandler(CancelOrder) cancel(): void {
    this.apply(new Noted('order cancelled'))
  }
}

// #region saga
@Saga('order-fulfilment')
class OrderSaga {
  orderId = ''
  reserved = false

  @StartSaga(OrderPlaced, { associate: 'orderId' })
  placed(e: OrderPlaced, ctx: SagaContext): void {
    this.orderId = e.orderId
    ctx.send(new ReserveStock(e.orderId))
    ctx.schedule('payment-timeout', { after: 15 * 60_000 })
  }

  @SagaEventHandler(StockReserved, { associate: 'orderId' })
  stockReserved(e: StockReserved, ctx: SagaContext): void {
    this.reserved = true
    ctx.associate('reservationId', e.reservationId) // PaymentTaken knows only the reservation
    ctx.compensateWith(new ReleaseStock(this.orderId))
    ctx.send(new TakePayment(this.orderId))
  }

  @EndSaga
  @SagaEventHandler(PaymentTaken, { associate: 'reservationId' })
  paid(): void {} // ending cancels the pending payment-timeout

  @EndSaga()
  @SagaDeadlineHandler('payment-timeout')
  timedOut(_payload: unknown, ctx: SagaContext): void {
    ctx.compensate() // ReleaseStock, if stock was reserved
    ctx.send(new CancelOrder(this.orderId))
  }
}
// #endregion saga

/** What a callback was told so far, and a wait for a condition on it. */
const observed = <T>(): { push(item: T): void; waitFor(done: (items: readonly T[]) => boolean): Promise<void> } => {
  const items: T[] = []
  const waiters: { done: (items: readonly T[]) => boolean; resolve: () => void }[] = []
  return {
    push(item) {
      items.push(item)
      for (const w of [...waiters]) {
        if (!w.done(items)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    },
    waitFor: (done) => (done(items) ? Promise.resolve() : new Promise((resolve) => waiters.push({ done, resolve }))),
  }
}

describe('the sagas README', () => {
  it('releases the stock and cancels an order not paid in time, and ends a paid one quietly', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const outcomes = observed<SagaOutcome>()
    // #region wiring
    const app = createEventfold({ eventStore, aggregates: [Fulfilment], middleware: [dedupeSagaCommands(eventStore)] })
    const clock = new TestClock()
    const store = new InMemoryDeadlineStore()
    const deadlines = new Deadlines(store, { clock })
    const sagas = new Sagas({ documents, sagas: [OrderSaga], local: localCommands(app.commandBus), deadlines, clock, onOutcome: (o) => outcomes.push(o) })
    const worker = new SagaWorker(sagas, { eventStore, documents }) // follows the log
    const deadlineWorker = new DeadlineWorker(store, { clock, handlers: sagas.deadlineHandlers() })
    void worker.start()
    void deadlineWorker.start()
    // #endregion wiring

    await eventStore.appendToStream('Order-o1', [{ type: 'OrderPlaced', data: { orderId: 'o1', sku: 'A' } }])
    await eventStore.appendToStream('Order-o2', [{ type: 'OrderPlaced', data: { orderId: 'o2', sku: 'B' } }])
    await eventStore.appendToStream('Stock-o1', [{ type: 'StockReserved', data: { orderId: 'o1', reservationId: 'r1' } }])
    await eventStore.appendToStream('Stock-o2', [{ type: 'StockReserved', data: { orderId: 'o2', reservationId: 'r2' } }])
    await eventStore.appendToStream('Payment-r2', [{ type: 'PaymentTaken', data: { reservationId: 'r2' } }])
    await outcomes.waitFor((o) => o.filter((x) => x.result === 'handled').length === 5)
    clock.advance(15 * 60_000)
    await outcomes.waitFor((o) => o.filter((x) => x.ended).length === 2)
    await deadlineWorker.stop()
    await worker.stop()

    const notes = async (id: string): Promise<string[]> => {
      const out: string[] = []
      for await (const e of eventStore.readStream(`Fulfilment-${id}`)) out.push((e.data as { what: string }).what)
      return out
    }
    expect(await notes('o1')).toEqual(['stock reserved', 'payment requested', 'stock released', 'order cancelled'])
    expect(await notes('o2')).toEqual(['stock reserved', 'payment requested'])
    // o1's deadline fired; o2's was cancelled when its saga ended.
    expect((await store.list()).map((d) => [d.scope, d.state])).toEqual([[`Saga.order-fulfilment-${(await sagas.list({ status: 'ended' })).find((s) => (s.state as OrderSaga).orderId === 'o1')!._id}`, 'fired']])
  })
})
