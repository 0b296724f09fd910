import { describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import { defineProjection } from '../projection/projection-definition'
import { competingConsumerSuite } from '../testing/competing-consumer-suite'
import { PinnedCompetingSource } from '../testing/pinned-competing-source'
import { resetProjection } from '../generations/generations'
import { CompetingConsumerWorker, GenerationSwitchedError, TransactionsRequiredError } from './competing-consumer-worker'
import { streamMarkerCollection } from '../generations/projection-state'
import { StreamMarkers } from './stream-markers'

competingConsumerSuite('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))

class StoreWithoutTransactions extends InMemoryDocumentStore {
  override readonly capabilities = { transactions: false }
}

const projection = defineProjection({ name: 'tallies', collections: ['tallies'], handlers: { Counted: () => undefined } })
const event = (streamId: string, revision: bigint): RecordedEvent => ({ type: 'Counted', streamId, revision, position: revision, data: {}, metadata: { eventId: `${streamId}@${revision}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1 } })

describe('CompetingConsumerWorker', () => {
  it('refuses to run on a document store without transactions, naming the projection and the store', async () => {
    const source = new PinnedCompetingSource(new InMemoryEventStore())
    const worker = new CompetingConsumerWorker(source, { documents: new StoreWithoutTransactions(), projection })

    await expect(worker.run()).rejects.toBeInstanceOf(TransactionsRequiredError)
    await expect(worker.run()).rejects.toMatchObject({ type: 'transactions-required', projection: 'tallies', store: 'StoreWithoutTransactions' })
    expect(source.status.deliveries).toBe(0)
  })

  it('stops with GenerationSwitchedError once another generation is active, writing nothing more', async () => {
    const events = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const counting = defineProjection({
      name: 'tallies',
      collections: ['tallies'],
      handlers: { Counted: (e, view) => view.upsert(e.streamId, { $inc: { n: 1 } }) },
    })
    const group = new PinnedCompetingSource(events, { filter: { eventTypes: ['Counted'] } })
    const worker = new CompetingConsumerWorker(group.consumer('a'), { documents, projection: counting, maxBatchWaitMs: 5 })
    try {
      const running = worker.run()
      await events.appendToStream('S-1', [{ type: 'Counted', data: {} }])
      const deadline = Date.now() + 5000
      while ((await documents.count('tallies__1')) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(await documents.get('tallies__1', 'S-1')).toEqual({ _id: 'S-1', n: 1 })

      await resetProjection(documents, counting)
      await events.appendToStream('S-1', [{ type: 'Counted', data: {} }])

      await expect(running).rejects.toBeInstanceOf(GenerationSwitchedError)
      await expect(running).rejects.toMatchObject({ type: 'generation-switched', projection: 'tallies', generation: 1, active: 2 })
      expect(await documents.listCollections('tallies__')).toEqual([])
    } finally {
      // The group's subscription to the log outlives a worker that failed.
      await group.close()
    }
  })

  it.each([
    ['a batch size', { batchSize: 0 }],
    ['an attempt count', { maxAttempts: 0 }],
  ])('refuses %s below 1', (_label, options) => {
    const source = new PinnedCompetingSource(new InMemoryEventStore())

    expect(() => new CompetingConsumerWorker(source, { documents: new InMemoryDocumentStore(), projection, ...options })).toThrow(RangeError)
  })
})

describe('StreamMarkers', () => {
  const collection = streamMarkerCollection('tallies', 2)

  it('names a collection of the projection generation', () => {
    expect(collection).toBe('_ef_stream_markers.tallies__2')
  })

  it('holds an event pending until it is applied, and keeps a parked one pending for its replay', async () => {
    const store = new InMemoryDocumentStore()
    const first = await StreamMarkers.load(store, collection, ['S-1', 'S-2'])
    expect(first.isPending(event('S-1', 0n))).toBe(true)
    first.applied(event('S-1', 0n))
    first.parked(event('S-1', 2n))
    first.applied(event('S-1', 4n))
    await store.commit({ writes: first.writes() })

    const second = await StreamMarkers.load(store, collection, ['S-1'])
    expect([0n, 1n, 2n, 3n, 4n, 5n].map((r) => second.isPending(event('S-1', r)))).toEqual([false, false, true, false, false, true])
    second.applied(event('S-1', 2n))
    await store.commit({ writes: second.writes() })

    const third = await StreamMarkers.load(store, collection, ['S-1'])
    expect(third.isPending(event('S-1', 2n))).toBe(false)
    expect(await store.get(collection, 'S-1')).toEqual({ _id: 'S-1', revision: '4', parked: [] })
  })

  it('writes only the markers that changed, each expecting the revision it read', async () => {
    const store = new InMemoryDocumentStore()
    const a = await StreamMarkers.load(store, collection, ['S-1', 'S-2'])
    const b = await StreamMarkers.load(store, collection, ['S-1'])
    a.applied(event('S-1', 0n))
    b.applied(event('S-1', 0n))

    expect(a.writes()).toHaveLength(1)
    await store.commit({ writes: a.writes() })
    await expect(store.commit({ writes: b.writes() })).rejects.toMatchObject({ type: 'document-conflict', collection, id: 'S-1', expectedRevision: 0 })
  })
})
