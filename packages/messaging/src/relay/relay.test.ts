import { describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, StoreClosedError, type EventData } from '@eventfold/core'
import { InMemoryDocumentStore, type DocumentStore } from '@eventfold/projections'
import { decodeEnvelope } from '../envelope/codec'
import { publish } from '../publishing/publication'
import { definePublications } from '../publishing/publications'
import { published } from '../test-support/published'
import { InMemoryTransport } from '../transport/in-memory-transport'
import type { Delivery } from '../transport/transport'
import { Relay } from './relay'
import { relayStatus } from './relay-status'

const TOPICS = ['orders', 'shipping']

const publications = definePublications({
  source: 'orders',
  publications: [
    publish<{ orderId: string; n: number }>('OrderPlaced', { type: 'OrderPlaced.v1', topic: 'orders', map: (e) => ({ orderId: e.data.orderId, n: e.data.n }) }),
    publish('OrderShipped', { type: 'OrderShipped.v1', topic: 'shipping', payload: 'reference' }),
  ],
  topics: [{ name: 'orders', partitions: 3 }],
})

/** Appends `perStream` events to each of `streams` streams, mixing chosen and private types; returns the chosen count. */
const seed = async (store: InMemoryEventStore, streams: number, perStream: number): Promise<number> => {
  let chosen = 0
  for (let i = 0; i < perStream; i++) {
    for (let s = 0; s < streams; s++) {
      const type = i % 3 === 0 ? 'OrderPlaced' : i % 3 === 1 ? 'OrderShipped' : 'OrderAudited'
      if (type !== 'OrderAudited') chosen++
      const event: EventData = { type, data: { orderId: `o${s}`, n: i, secret: 'internal' } }
      await store.appendToStream(`Order-o${s}`, [event])
    }
  }
  return chosen
}

/** On each topic, every stream's published revisions are increasing (per-stream order). */
const expectPerStreamOrder = (deliveries: readonly Delivery[]): void => {
  const last = new Map<string, bigint>()
  for (const d of deliveries) {
    const e = decodeEnvelope(d)
    const key = `${d.topic} ${e.streamId}`
    const before = last.get(key)
    if (before !== undefined) expect(e.revision).toBeGreaterThan(before)
    last.set(key, e.revision)
  }
}

const catchUp = (options: { eventStore: InMemoryEventStore; documents: DocumentStore; transport: InMemoryTransport; partitions?: number }) =>
  new Relay({ ...options, publications, name: 'orders', stopAtHead: true, batchSize: 7 }).run()

describe('the relay', () => {
  it('publishes every chosen event once, in per-stream order, and none of the others', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    const chosen = await seed(eventStore, 5, 12)

    const [progress] = await catchUp({ eventStore, documents, transport })

    // Topics are declared with the settings given.
    expect((await transport.lag('any', ['orders'])).map((p) => p.partition)).toEqual([0, 1, 2])
    const out = await published(transport, TOPICS)
    expect(out).toHaveLength(chosen)
    expect(new Set(out.map((d) => d.id)).size).toBe(chosen)
    expect(out.every((d) => d.key === decodeEnvelope(d).streamId && d.id === decodeEnvelope(d).id)).toBe(true)
    expect(out.map((d) => decodeEnvelope(d).type)).not.toContain('OrderAudited')
    expect(JSON.stringify(out.map((d) => decodeEnvelope(d).data))).not.toContain('internal')
    expectPerStreamOrder(out)
    expect(progress).toMatchObject({ relay: 'orders', partition: '0/1', published: chosen, checkpoint: await eventStore.headPosition() })

    // A second run starts from the checkpoint: nothing is published again.
    await catchUp({ eventStore, documents, transport })
    expect(await published(transport, TOPICS)).toHaveLength(chosen)
    const status = await relayStatus(eventStore, documents, { name: 'orders' })
    expect(status.partitions).toEqual([{ partition: '0/1', checkpoint: status.head, lag: 0n, owner: undefined }])
  })

  it('splits the log into partitions by stream id, each event published by one of them', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    const chosen = await seed(eventStore, 9, 6)
    const progress = await catchUp({ eventStore, documents, transport, partitions: 3 })
    expect(progress.map((p) => p.partition)).toEqual(['0/3', '1/3', '2/3'])
    expect(progress.reduce((n, p) => n + p.published, 0)).toBe(chosen)
    const out = await published(transport, TOPICS)
    expect(new Set(out.map((d) => d.id)).size).toBe(chosen)
    expect(out).toHaveLength(chosen)
    expectPerStreamOrder(out)
  })

  it('publishes a batch again after a crash between its publish and its checkpoint, with the same ids', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    const chosen = await seed(eventStore, 2, 3)
    // The checkpoint write fails for good once the batch is published: the process dies there.
    const crashing = Object.create(documents) as DocumentStore
    crashing.commit = async (request) => {
      if (request.checkpoint) throw new StoreClosedError('the document store')
      return documents.commit(request)
    }
    await expect(catchUp({ eventStore, documents: crashing, transport })).rejects.toBeInstanceOf(StoreClosedError)
    expect(await published(transport, TOPICS)).toHaveLength(chosen)
    expect(await documents.listCheckpoints('relay:')).toEqual(new Map())

    await catchUp({ eventStore, documents, transport })
    const out = await published(transport, TOPICS)
    expect(out).toHaveLength(2 * chosen)
    const counts = new Map<string, number>()
    for (const d of out) counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
    expect([...counts.values()]).toEqual(Array(chosen).fill(2))
  })

  it('parks an event its mapping cannot publish and publishes the rest', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    const strict = definePublications({
      source: 'orders',
      publications: [
        publish<{ n: number }>('OrderPlaced', {
          type: 'OrderPlaced.v1',
          topic: 'orders',
          map: (e) => {
            if (e.data.n === 2) throw new Error('n 2 has no published form')
            return { n: e.data.n }
          },
        }),
      ],
    })
    for (let n = 0; n < 4; n++) await eventStore.appendToStream('Order-o1', [{ type: 'OrderPlaced', data: { n } }])
    const [progress] = await new Relay({ eventStore, documents, transport, publications: strict, stopAtHead: true, maxAttempts: 2, retry: { initialDelayMs: 1, maxDelayMs: 1 } }).run()
    expect((await published(transport, ['orders'])).map((d) => decodeEnvelope(d).data)).toEqual([{ n: 0 }, { n: 1 }, { n: 3 }])
    expect(progress?.parked).toBe(1)
    expect((await relayStatus(eventStore, documents)).parked).toBe(1)
  })

  it('lets two relay processes share the partitions without publishing an event twice', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    const options = { eventStore, documents, transport, publications, name: 'orders', partitions: 4, leaseTtlMs: 400, tickMs: 20, batchSize: 5 }
    // Steady: both processes hold a share of the partitions before the events come.
    let shared!: () => void
    const sharing = new Promise<void>((resolve) => (shared = resolve))
    const onLease = () => {
      if (a.owned.length > 0 && b.owned.length > 0 && a.owned.length + b.owned.length === 4) shared()
    }
    const a: Relay = new Relay({ ...options, owner: 'a', onLease })
    const b: Relay = new Relay({ ...options, owner: 'b', onLease })
    const running = [a.run(), b.run()]
    await sharing
    const chosen = await seed(eventStore, 8, 30)
    await published(transport, TOPICS, chosen)
    await a.stop()
    await b.stop()
    const [pa, pb] = await Promise.all(running)
    const out = await published(transport, TOPICS)
    expect(out).toHaveLength(chosen)
    expect(new Set(out.map((d) => d.id)).size).toBe(chosen)
    expect(pa!.some((p) => p.published > 0)).toBe(true)
    expect(pb!.some((p) => p.published > 0)).toBe(true)
    expectPerStreamOrder(out)
  })

  it('publishes a batch again when the broker failed it, until it goes through', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    let failures = 2
    const flaky = Object.create(transport) as InMemoryTransport
    flaky.publish = async (topic, messages) => {
      // The broker took the first message, then failed the call: the retry publishes it again.
      if (failures-- > 0) {
        await transport.publish(topic, messages.slice(0, 1))
        throw new Error('broker not available')
      }
      return transport.publish(topic, messages)
    }
    for (let n = 0; n < 3; n++) await eventStore.appendToStream('Order-o1', [{ type: 'OrderPlaced', data: { orderId: 'o1', n } }])
    const warnings: unknown[] = []
    const [progress] = await new Relay({
      eventStore,
      documents,
      transport: flaky,
      publications,
      stopAtHead: true,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      onError: (error) => warnings.push(error),
    }).run()
    const out = await published(transport, ['orders'])
    expect(out.map((d) => (decodeEnvelope(d).data as { n: number }).n)).toEqual([0, 0, 0, 1, 2])
    expect(progress).toMatchObject({ retries: 2, parked: 0, checkpoint: 3n })
    expect(warnings).toEqual([new Error('broker not available'), new Error('broker not available')])
  })

  it('forgets processes that stopped heartbeating long ago', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const stale = { kind: 'put' as const, collection: '_ef_relay_hosts', meta: { revision: 1, positions: {} }, expectedRevision: 0 }
    await documents.commit({
      writes: [
        { ...stale, doc: { _id: 'orders:dead', relay: 'orders', seenAt: 0 } },
        { ...stale, doc: { _id: 'other:dead', relay: 'other', seenAt: 0 } },
      ],
    })
    let acquired!: () => void
    const running = new Promise<void>((resolve) => (acquired = resolve))
    const relay = new Relay({ eventStore, documents, transport: new InMemoryTransport(), publications, name: 'orders', owner: 'live', onLease: () => acquired() })
    const done = relay.run()
    await running
    await relay.stop()
    await done
    expect((await documents.find('_ef_relay_hosts', {})).map((d) => d._id)).toEqual(['other:dead'])
  })

  it('ends at once, publishing nothing, when it was stopped before it ran', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const transport = new InMemoryTransport()
    await seed(eventStore, 2, 3)
    const relay = new Relay({ eventStore, documents, transport, publications, name: 'orders' })
    await relay.stop()
    await expect(relay.run()).resolves.toEqual([])
    expect(await published(transport, TOPICS)).toEqual([])
  })
})
