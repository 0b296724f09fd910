import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { Aggregate, AggregateId, AggregateRoot, Command, CommandHandler, createEventfold, Event, type EventStore, type Eventfold } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import { TestClock } from '../clock/test-clock'
import type { DeadlineStore } from '../deadlines/deadline-store'
import { Deadlines } from '../deadlines/deadlines'
import { DeadlineWorker } from '../deadlines/deadline-worker'
import { dedupeSagaCommands, localCommands, type CommandSender } from '../sagas/command-senders'
import { EndSaga, Saga, SagaDeadlineHandler, SagaEventHandler, StartSaga } from '../sagas/decorators'
import type { SagaContext, SagaMessage } from '../sagas/saga-message'
import { Sagas } from '../sagas/sagas'
import { SagaWorker } from '../sagas/saga-worker'

/** What a {@link sagaSuite} factory returns: the stores a test runs on, and how to dispose of them. */
export interface SagaStoresUnderTest {
  /** Holds the saga instances. */
  readonly documents: DocumentStore
  /** The log of the aggregates the sagas send commands to. */
  readonly eventStore: EventStore
  /** Where the sagas' deadlines go (the same store). */
  readonly deadlines: DeadlineStore
  /** Runs after each test. */
  readonly teardown?: () => Promise<void>
}

// The receiving side: a ledger that records every command it gets, so a second effect would show.
@Event('SuiteLedgerOpened')
class LedgerOpened {
  constructor(readonly ledgerId: string) {}
}
@Event('SuiteLedgerPosted')
class Posted {
  constructor(
    readonly ledgerId: string,
    readonly entry: string,
  ) {}
}
@Command('SuiteOpenLedger')
class OpenLedger {
  @AggregateId() readonly ledgerId: string
  constructor(ledgerId: string) {
    this.ledgerId = ledgerId
  }
}
@Command('SuitePost')
class Post {
  @AggregateId() readonly ledgerId: string
  constructor(
    ledgerId: string,
    readonly entry: string,
  ) {
    this.ledgerId = ledgerId
  }
}
@Aggregate('SuiteLedger')
class Ledger extends AggregateRoot {
  @CommandHandler(OpenLedger, { creates: true })
  open({ ledgerId }: OpenLedger): void {
    this.apply(new LedgerOpened(ledgerId))
  }
  @CommandHandler(Post)
  post({ ledgerId, entry }: Post): void {
    this.apply(new Posted(ledgerId, entry))
  }
}

// The saga under test: an order placed, paid (found by the payment id it associated), shipped.
@Event('SuiteOrderPlaced')
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
  ) {}
}
@Event('SuitePaymentReceived')
class PaymentReceived {
  constructor(readonly paymentId: string) {}
}
@Event('SuiteOrderPacked')
class OrderPacked {
  constructor(readonly orderId: string) {}
}
@Event('SuiteOrderShipped')
class OrderShipped {
  constructor(readonly orderId: string) {}
}
@Saga('suite-order')
class OrderSaga {
  orderId = ''
  paid = false
  packed = false

  @StartSaga(OrderPlaced, { associate: 'orderId' })
  placed(e: OrderPlaced, ctx: SagaContext): void {
    this.orderId = e.orderId
    ctx.associate('paymentId', e.paymentId)
    ctx.send(new Post(e.orderId, 'reserve'))
  }
  @SagaEventHandler(PaymentReceived, { associate: 'paymentId' })
  paidFor(_e: PaymentReceived, ctx: SagaContext): void {
    this.paid = true
    ctx.send(new Post(this.orderId, 'charge'))
  }
  @SagaEventHandler(OrderPacked, { associate: 'orderId' })
  packedUp(): void {
    this.packed = true
  }
  @EndSaga()
  @SagaEventHandler(OrderShipped, { associate: 'orderId' })
  shipped(_e: OrderShipped, ctx: SagaContext): void {
    ctx.send(new Post(this.orderId, 'close'))
  }
}

// Four steps, each undone by its compensation; a failure of any step undoes the ones before it.
@Event('SuiteTripBooked')
class TripBooked {
  constructor(readonly tripId: string) {}
}
@Event('SuiteStepDone')
class StepDone {
  constructor(
    readonly tripId: string,
    readonly step: number,
  ) {}
}
@Event('SuiteStepFailed')
class StepFailed {
  constructor(
    readonly tripId: string,
    readonly step: number,
  ) {}
}
@Saga('suite-trip')
class TripSaga {
  tripId = ''

  @StartSaga(TripBooked, { associate: 'tripId' })
  booked(e: TripBooked, ctx: SagaContext): void {
    this.tripId = e.tripId
    ctx.send(new Post(e.tripId, 'do 1'))
  }
  @SagaEventHandler(StepDone, { associate: 'tripId' })
  done(e: StepDone, ctx: SagaContext): void {
    // A step records what undoes it once it is done; a step that failed has nothing to undo.
    ctx.compensateWith(new Post(this.tripId, `undo ${e.step}`))
    if (e.step === 4) return ctx.end()
    ctx.send(new Post(this.tripId, `do ${e.step + 1}`))
  }
  @EndSaga()
  @SagaEventHandler(StepFailed, { associate: 'tripId' })
  failed(_e: StepFailed, ctx: SagaContext): void {
    ctx.compensate()
  }
}

// A hold that lapses unless confirmed in time: the deadline comes back to the instance, which undoes the hold.
@Event('SuiteHoldPlaced')
class HoldPlaced {
  constructor(readonly holdId: string) {}
}
@Event('SuiteHoldConfirmed')
class HoldConfirmed {
  constructor(readonly holdId: string) {}
}
@Saga('suite-hold')
class HoldSaga {
  holdId = ''

  @StartSaga(HoldPlaced, { associate: 'holdId' })
  placed(e: HoldPlaced, ctx: SagaContext): void {
    this.holdId = e.holdId
    ctx.send(new Post(e.holdId, 'hold'))
    ctx.compensateWith(new Post(e.holdId, 'release'))
    ctx.schedule('hold-lapses', { after: 60_000 }, { holdId: e.holdId })
  }
  @EndSaga
  @SagaEventHandler(HoldConfirmed, { associate: 'holdId' })
  confirmed(): void {}
  @EndSaga
  @SagaDeadlineHandler('hold-lapses')
  lapsed(_payload: unknown, ctx: SagaContext): void {
    ctx.compensate()
  }
}

/**
 * Registers the saga runtime's tests on real stores: start, association at
 * run time and end; two messages for one instance at once (no lost update,
 * the loser retries); a redelivered message and a crash between storing a
 * step and sending its command (no second effect); compensation in reverse
 * order, once each. The stores may be shared: each test uses its own collection.
 * @example
 * ```ts
 * sagaSuite('SQLite', async () => ({ documents, eventStore }))
 * ```
 */
export const sagaSuite = (name: string, factory: () => Promise<SagaStoresUnderTest>): void => {
  describe(`${name} (sagas)`, () => {
    let stores: SagaStoresUnderTest
    let app: Eventfold
    let tag: string
    let collection: string

    beforeEach(async () => {
      stores = await factory()
      tag = randomBytes(4).toString('hex')
      collection = `sagas_${tag}`
      app = createEventfold({ eventStore: stores.eventStore, aggregates: [Ledger], middleware: [dedupeSagaCommands(stores.eventStore)] })
    })
    afterEach(async () => {
      await stores.documents.dropCollection(collection)
      await stores.documents.dropCollection(`${collection}_associations`)
      await stores.teardown?.()
    })

    const id = (n: string): string => `${tag}-${n}`
    const runtime = (sagas: readonly (new () => object)[], local: CommandSender = localCommands(app.commandBus), documents = stores.documents): Sagas =>
      new Sagas({ documents, sagas, local, collection })
    let seq = 0
    const message = (event: object, messageId = `${tag}-m${++seq}`): SagaMessage => {
      const type = (event.constructor as unknown as Record<symbol, { type: string }>)[Symbol.for('eventfold.event')]?.type ?? event.constructor.name
      return { id: messageId, type, data: { ...event }, metadata: { eventId: messageId, correlationId: `${tag}-flow` } }
    }
    const entries = async (ledgerId: string): Promise<string[]> => {
      const out: string[] = []
      for await (const e of stores.eventStore.readStream(`SuiteLedger-${ledgerId}`)) if (e.type === 'SuiteLedgerPosted') out.push((e.data as { entry: string }).entry)
      return out
    }

    it('starts an instance, finds it by an association added at run time, and ends it', async () => {
      const order = id('o1')
      await app.commandBus.execute(new OpenLedger(order))
      const sagas = runtime([OrderSaga])
      const [started] = await sagas.handle(message(new OrderPlaced(order, id('p1'))))
      expect(started).toMatchObject({ saga: 'suite-order', result: 'handled' })
      await sagas.handle(message(new PaymentReceived(id('p1'))))
      await sagas.handle(message(new OrderShipped(order)))
      const after = await sagas.handle(message(new OrderPacked(order)))
      expect(after).toEqual([])
      const instance = await sagas.get(started!.sagaId)
      expect(instance).toMatchObject({ status: 'ended', state: { orderId: order, paid: true, packed: false }, step: 3, outbox: [] })
      expect([...instance.associations].sort()).toEqual([`orderId=${order}`, `paymentId=${id('p1')}`])
      expect(await entries(order)).toEqual(['reserve', 'charge', 'close'])
      const [correlated] = await (async () => {
        const out = []
        for await (const e of stores.eventStore.readStream(`SuiteLedger-${order}`)) if (e.type === 'SuiteLedgerPosted') out.push(e)
        return out
      })()
      expect(correlated!.metadata).toMatchObject({ correlationId: `${tag}-flow`, sagaId: started!.sagaId, commandId: `${started!.sagaId}:1:0` })
      expect((await sagas.list({ saga: 'suite-order', status: 'ended' })).map((s) => s._id)).toEqual([started!.sagaId])
    })

    it('lists instances by association, by flow and a page at a time, and counts the active ones per saga', async () => {
      const sagas = runtime([OrderSaga])
      const ids: string[] = []
      for (const n of ['a', 'b', 'c']) {
        await app.commandBus.execute(new OpenLedger(id(n)))
        const [started] = await sagas.handle(message(new OrderPlaced(id(n), id(`p${n}`))))
        ids.push(started!.sagaId)
      }
      await sagas.handle(message(new PaymentReceived(id('pb'))))
      await sagas.handle(message(new OrderShipped(id('b'))))
      expect((await sagas.list({ association: `paymentId=${id('pb')}` })).map((s) => s._id)).toEqual([ids[1]])
      expect((await sagas.list({ association: `orderId=${id('c')}`, status: 'active' })).map((s) => s._id)).toEqual([ids[2]])
      const all = (await sagas.list()).map((s) => s._id)
      expect([...all].sort()).toEqual([...ids].sort())
      const pages = [...(await sagas.list({ limit: 2 })), ...(await sagas.list({ skip: 2, limit: 2 }))].map((s) => s._id)
      expect(pages).toEqual(all)
      // Every message of this test is of one flow; a message of another flow makes an instance of its own.
      await app.commandBus.execute(new OpenLedger(id('d')))
      const other = { ...message(new OrderPlaced(id('d'), id('pd'))), metadata: { eventId: `${tag}-other`, correlationId: `${tag}-other-flow` } }
      const [fourth] = await sagas.handle(other)
      expect((await sagas.list({ correlationId: `${tag}-other-flow` })).map((s) => s._id)).toEqual([fourth!.sagaId])
      expect((await sagas.list({ correlationId: `${tag}-flow`, status: 'active' })).map((s) => s._id).sort()).toEqual([ids[0], ids[2]].sort())
      expect((await sagas.get(fourth!.sagaId)).history.map((h) => h.correlationId)).toEqual([`${tag}-other-flow`])
      expect(await sagas.countActive()).toEqual(new Map([['suite-order', 3]]))
      // A runtime that knows no saga, as a tool that only reads makes it, learns the names from the store.
      expect(await new Sagas({ documents: stores.documents, sagas: [], collection }).countActive()).toEqual(new Map([['suite-order', 3]]))
    })

    it('handles two messages for one instance at once without losing an update: the loser retries', async () => {
      const order = id('o2')
      await app.commandBus.execute(new OpenLedger(order))
      const [started] = await runtime([OrderSaga]).handle(message(new OrderPlaced(order, id('p2'))))
      // Two partitions' workers, each with its own runtime; both read the instance before either writes.
      const gate = readGate(stores.documents, collection, 2)
      const a = runtime([OrderSaga], undefined, gate.documents)
      const b = runtime([OrderSaga], undefined, gate.documents)
      const [[ra], [rb]] = await Promise.all([a.handle(message(new PaymentReceived(id('p2')))), b.handle(message(new OrderPacked(order)))])
      // The loser may lose again to the winner taking its sent commands off the outbox.
      expect(ra!.conflicts + rb!.conflicts).toBeGreaterThanOrEqual(1)
      expect(Math.min(ra!.conflicts, rb!.conflicts)).toBe(0)
      const instance = await a.get(started!.sagaId)
      expect(instance).toMatchObject({ step: 3, state: { paid: true, packed: true } })
      expect(await entries(order)).toEqual(['reserve', 'charge'])
    })

    it('starts one instance when two starts of one association come at once: the loser goes to the winner\'s instance', async () => {
      const order = id('o5')
      await app.commandBus.execute(new OpenLedger(order))
      const gate = readGate(stores.documents, collection, 2)
      const a = runtime([OrderSaga], undefined, gate.documents)
      const b = runtime([OrderSaga], undefined, gate.documents)
      const [[ra], [rb]] = await Promise.all([a.handle(message(new OrderPlaced(order, id('p5')))), b.handle(message(new OrderPlaced(order, id('p5'))))])
      expect(ra!.sagaId).toBe(rb!.sagaId)
      const instances = await a.list({ saga: 'suite-order' })
      expect(instances.map((s) => [s._id, s.step])).toEqual([[ra!.sagaId, 2]])
    })

    it('sends no second command with effect for a redelivered message', async () => {
      const order = id('o3')
      await app.commandBus.execute(new OpenLedger(order))
      const sagas = runtime([OrderSaga])
      const placed = message(new OrderPlaced(order, id('p3')))
      await sagas.handle(placed)
      const again = await sagas.handle(placed)
      expect(again.map((o) => o.result)).toEqual(['duplicate'])
      expect(await entries(order)).toEqual(['reserve'])
    })

    it('sends a command again with its id after a crash between its effect and the outbox clearing, and the receiver dedupes it', async () => {
      const order = id('o4')
      await app.commandBus.execute(new OpenLedger(order))
      const local = localCommands(app.commandBus)
      // The process dies right after the command took effect, before the step's outbox was cleared.
      const crashing = runtime([OrderSaga], async (command, record) => {
        await local(command, record)
        throw new Error('process killed')
      })
      const placed = message(new OrderPlaced(order, id('p4')))
      await expect(crashing.handle(placed)).rejects.toThrow('process killed')
      const restarted = runtime([OrderSaga])
      expect((await restarted.handle(placed)).map((o) => o.result)).toEqual(['duplicate'])
      const [instance] = await restarted.list({ saga: 'suite-order' })
      expect(instance!.outbox).toEqual([])
      expect(await entries(order)).toEqual(['reserve'])
    })

    it('delivers a deadline a saga scheduled back to its instance, and never one an ended instance cancelled', async () => {
      const lapsing = id('h1')
      const kept = id('h2')
      for (const h of [lapsing, kept]) await app.commandBus.execute(new OpenLedger(h))
      const clock = new TestClock(1_800_000_000_000)
      const deadlines = new Deadlines(stores.deadlines, { clock })
      const sagas = new Sagas({ documents: stores.documents, sagas: [HoldSaga], local: localCommands(app.commandBus), deadlines, clock, collection })
      const [l] = await sagas.handle(message(new HoldPlaced(lapsing)))
      const [k] = await sagas.handle(message(new HoldPlaced(kept)))
      await sagas.handle(message(new HoldConfirmed(kept)))
      const scopes = new Set([`Saga.suite-hold-${l!.sagaId}`, `Saga.suite-hold-${k!.sagaId}`])
      let settled!: (scope: string) => void
      const fired = new Promise<string>((resolve) => (settled = resolve))
      const worker = new DeadlineWorker(stores.deadlines, {
        clock,
        handlers: sagas.deadlineHandlers(),
        onSettled: (d, state) => state === 'fired' && scopes.has(d.scope) && settled(d.scope),
      })
      const running = worker.start()
      clock.advance(60_000)
      expect(await fired).toBe(`Saga.suite-hold-${l!.sagaId}`)
      await worker.stop()
      await running
      expect(await entries(lapsing)).toEqual(['hold', 'release'])
      expect(await entries(kept)).toEqual(['hold'])
      expect(await sagas.get(l!.sagaId)).toMatchObject({ status: 'ended', history: [{ step: 1 }, { step: 2, type: 'deadline:hold-lapses' }] })
      const left = (await stores.deadlines.list()).filter((d) => scopes.has(d.scope))
      expect(left.map((d) => [d.scope, d.state])).toEqual([[`Saga.suite-hold-${l!.sagaId}`, 'fired']])
    })

    it('sends, when a saga worker starts, the commands a stopped worker stored and never sent, once in effect', async () => {
      const order = id('o6')
      await app.commandBus.execute(new OpenLedger(order))
      await stores.eventStore.appendToStream(`SuiteOrder-${order}`, [{ type: 'SuiteOrderPlaced', data: { orderId: order, paymentId: id('p6') } }])
      const name = `w${tag}`
      // The first worker stores the step, then every send fails: its command stays on the instance's outbox.
      const down = runtime([OrderSaga], async () => {
        throw new Error('bus unavailable')
      })
      const failures: unknown[] = []
      const first = new SagaWorker(down, { eventStore: stores.eventStore, documents: stores.documents, name, stopAtHead: true, maxAttempts: 1, onError: (e) => failures.push(e) })
      await first.start()
      const stuck = (await down.list({ saga: 'suite-order' })).find((s) => (s.state as { orderId: string }).orderId === order)
      expect(stuck!.outbox.map((e) => e.id)).toEqual([`${stuck!._id}:1:0`])
      expect(failures).toContainEqual(expect.objectContaining({ message: 'bus unavailable' }))
      expect(await entries(order)).toEqual([])

      const second = new SagaWorker(runtime([OrderSaga]), { eventStore: stores.eventStore, documents: stores.documents, name, stopAtHead: true })
      await second.start()
      await new SagaWorker(runtime([OrderSaga]), { eventStore: stores.eventStore, documents: stores.documents, name, stopAtHead: true }).start()
      expect(await entries(order)).toEqual(['reserve'])
      expect((await down.get(stuck!._id)).outbox).toEqual([])
      await stores.documents.dropCollection(`eventfold_saga_parked_${name}`)
    })

    it('runs the compensations of the steps done, most recent first, once each, when the third of four steps fails', async () => {
      const trip = id('t1')
      await app.commandBus.execute(new OpenLedger(trip))
      const sagas = runtime([TripSaga])
      await sagas.handle(message(new TripBooked(trip)))
      await sagas.handle(message(new StepDone(trip, 1)))
      await sagas.handle(message(new StepDone(trip, 2)))
      const failed = message(new StepFailed(trip, 3))
      const [outcome] = await sagas.handle(failed)
      expect((await sagas.handle(failed)).map((o) => o.result)).toEqual(['duplicate'])
      expect(outcome!.commands.map((c) => c.data.entry)).toEqual(['undo 2', 'undo 1'])
      expect(await entries(trip)).toEqual(['do 1', 'do 2', 'do 3', 'undo 2', 'undo 1'])
      expect(await sagas.get(outcome!.sagaId)).toMatchObject({ status: 'ended', compensations: [] })
    })
  })
}

/** The document store, with the first `count` reads of the saga collection held until all `count` have been made. */
const readGate = (documents: DocumentStore, collection: string, count: number): { documents: DocumentStore } => {
  let waiting = count
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const gated = new Proxy(documents, {
    get(target, property, receiver) {
      if (property !== 'getMany') {
        const value = Reflect.get(target, property, receiver) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      }
      return async (c: string, ids: readonly string[]) => {
        const read = await target.getMany(c, ids)
        if (c === collection && waiting > 0) {
          if (--waiting === 0) open()
          await opened
        }
        return read
      }
    },
  })
  return { documents: gated }
}
