import { describe, expect, it } from '@jest/globals'
import { Container, injectable } from 'inversify'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { MalformedMessageError } from '../errors'
import { encodeEnvelope } from '../envelope/codec'
import type { IntegrationEnvelope } from '../envelope/envelope'
import { ParkedMessages } from '../parked/parked-messages'
import { inMemoryInbox } from '../testing/in-memory-inbox'
import { InMemoryTransport } from '../transport/in-memory-transport'
import { defineConsumer, type ConsumerContext } from './consumer-definition'
import { ConsumerWorker, type ConsumerProgress } from './consumer-worker'
import { Consumer, consumerFromInstance, Handles } from './decorators'

const placed = (n: number, key = 'Order-1'): IntegrationEnvelope => ({
  id: `m-${n}`,
  type: 'OrderPlaced.v1',
  source: 'orders',
  streamId: key,
  revision: BigInt(n),
  position: BigInt(n),
  occurredAt: new Date().toISOString(),
  payload: 'full',
  data: { n },
})

const orders = async (...envelopes: IntegrationEnvelope[]): Promise<InMemoryTransport> => {
  const transport = new InMemoryTransport()
  await transport.declare({ name: 'orders', partitions: 2 })
  await transport.publish('orders', envelopes.map(encodeEnvelope))
  return transport
}

@injectable()
class Tariff {
  readonly rate = 3
}

@injectable()
@Consumer('billing', { topics: ['orders'], collection: 'bills' })
class Billing {
  constructor(private readonly tariff: Tariff) {}

  @Handles('OrderPlaced.v1')
  placed(e: IntegrationEnvelope<{ n: number }>, { documents }: ConsumerContext): void {
    documents.upsert(`bill-${e.data.n}`, { $set: { amount: e.data.n * this.tariff.rate } })
  }
}

/** Runs until `done` after a commit. */
const runUntil = async (worker: ConsumerWorker, done: () => boolean): Promise<ConsumerProgress> => {
  const running = worker.run()
  return running
    .then((p) => p)
    .finally(() => {
      if (!done()) throw new Error('stopped before done')
    })
}

describe('ConsumerWorker', () => {
  it('runs a @Consumer class resolved from an inversify container, with its dependencies', async () => {
    const container = new Container()
    container.bind(Tariff).toSelf()
    container.bind(Billing).toSelf()
    const inbox = inMemoryInbox()
    const transport = await orders(placed(1), placed(2))
    const worker: ConsumerWorker = new ConsumerWorker(consumerFromInstance(container.get(Billing)), transport, inbox, {
      onProgress: (p) => p.eventsApplied >= 2 && worker.stop(),
    })
    await runUntil(worker, () => worker.status.eventsApplied >= 2)
    expect(await inbox.documents.find('bills', {}, { sort: { _id: 1 } })).toEqual([
      { _id: 'bill-1', amount: 3 },
      { _id: 'bill-2', amount: 6 },
    ])
  })

  it('stops gracefully after a committed batch, and another member resumes where it stopped: nothing lost, nothing twice', async () => {
    const inbox = inMemoryInbox()
    const consumer = defineConsumer('counter', {
      topics: ['orders'],
      handlers: { 'OrderPlaced.v1': (e, { documents }) => documents.upsert(e.id, { $inc: { seen: 1 } }) },
    })
    const transport = await orders(...Array.from({ length: 30 }, (_, i) => placed(i, `Order-${i % 5}`)))
    const first: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, { batchSize: 4, onProgress: () => first.stop() })
    const stopped = await first.run()
    expect(stopped.batches).toBe(1)
    expect(stopped.eventsApplied).toBeGreaterThan(0)
    expect(stopped.eventsApplied).toBeLessThan(30)

    const second: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, {
      onProgress: async () => {
        if ((await inbox.documents.count('counter')) === 30) second.stop()
      },
    })
    await second.run()
    expect((await inbox.documents.find('counter')).every((d) => d.seen === 1)).toBe(true)
    expect(await inbox.documents.count('counter')).toBe(30)
    expect((await second.lag()).reduce((n, l) => n + l.lag, 0n)).toBe(0n)
  })

  it('shares a consumer group between members: each message applied once, each key in publication order', async () => {
    const inbox = inMemoryInbox()
    const consumer = defineConsumer('sharing', {
      topics: ['orders'],
      handlers: { 'OrderPlaced.v1': (e: IntegrationEnvelope<{ n: number }>, { documents }) => documents.upsert(e.streamId, { $push: { ns: e.data.n } }) },
    })
    const transport = await orders(...Array.from({ length: 60 }, (_, i) => placed(i, `Order-${i % 6}`)))
    const member = (): ConsumerWorker => {
      const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, {
        batchSize: 5,
        onProgress: async () => {
          if ((await inbox.documents.count('_ef_inbox')) === 60) worker.stop()
        },
      })
      return worker
    }
    const members = [member(), member()]
    // A member stops when the inbox is complete; the other one is told then, as its partitions may hold nothing more.
    await Promise.all(members.map((m) => m.run().then(() => members.forEach((o) => o.stop()))))
    const docs = await inbox.documents.find('sharing', {}, { sort: { _id: 1 } })
    expect(docs.map((d) => d.ns)).toEqual(Array.from({ length: 6 }, (_, k) => Array.from({ length: 10 }, (_, j) => j * 6 + k)))
    expect(members.every((m) => m.status.eventsApplied > 0)).toBe(true)
  })

  it('learns whether its store has transactions on first use, before it sizes its batches', async () => {
    const documents = new InMemoryDocumentStore()
    let used = false
    // A store that knows its capabilities once it talked to its server, as MongoDB's does.
    const detecting = new Proxy(documents, {
      get(target, property, receiver) {
        if (property === 'capabilities') return { transactions: used }
        const value = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? (...args: unknown[]) => ((used = true), value.apply(target, args)) : value
      },
    })
    const inbox = inMemoryInbox({ documents: detecting })
    const consumer = defineConsumer('sizer', { topics: ['orders'], handlers: { 'OrderPlaced.v1': (e, { documents: d }) => d.insert({ _id: e.id }) } })
    const transport = await orders(...Array.from({ length: 10 }, (_, i) => placed(i)))
    const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, { onProgress: (p) => p.eventsApplied >= 10 && worker.stop() })
    const progress = await worker.run()
    expect(progress.eventsApplied).toBe(10)
    expect(progress.batches).toBeLessThan(10)
  })

  it('acknowledges a message of a type it has no handler for, and parks a malformed one with its error', async () => {
    const inbox = inMemoryInbox()
    const consumer = defineConsumer('picky', { topics: ['orders'], handlers: { 'OrderPlaced.v1': (e, { documents }) => documents.insert({ _id: e.id }) } })
    const transport = await orders(placed(1), { ...placed(2), type: 'OrderShipped.v1' })
    // A message without the event headers: not an integration event.
    await transport.publish('orders', [{ id: 'raw-1', key: 'Order-1', headers: { 'ef-id': 'raw-1' }, value: new TextEncoder().encode('{}') }])
    const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, {
      maxAttempts: 1,
      onProgress: (p) => p.eventsRead >= 3 && worker.stop(),
    })
    const progress = await worker.run()
    expect(progress).toMatchObject({ eventsRead: 3, eventsApplied: 1, parked: 1 })
    expect(await inbox.documents.find('picky')).toEqual([{ _id: 'm-1' }])
    const [parked] = await new ParkedMessages(inbox.documents).list()
    expect(parked).toMatchObject({ id: 'raw-1', consumer: 'picky', error: { type: new MalformedMessageError('t', 0, 0n, '').type } })
  })
})
