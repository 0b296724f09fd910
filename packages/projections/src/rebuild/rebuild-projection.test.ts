import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { Documents } from '../documents/documents'
import { On, Projection } from '../projection/decorators'
import { projectionFromInstance } from '../projection/projection-definition'
import { physicalCollection, ProjectionStates } from '../generations/projection-state'
import { PartitionCountMismatchError, ProjectionWorker, RebuildInProgressError } from '../worker/projection-worker'
import { streamMarkerCollection } from '../generations/projection-state'
import { resetProjection } from '../generations/generations'
import { rebuildProjection } from './rebuild-projection'

@Projection('test-counts', { collection: 'counts' })
class Counts {
  broken = false
  @On('Hit') hit(e: RecordedEvent<{ key: string }>, view: Documents): void {
    if (this.broken && e.data.key === 'bad') throw new Error('handler bug')
    view.upsert(e.data.key, { $inc: { n: 1 } })
  }
}

const seed = async (store: InMemoryEventStore, keys: string[]) => {
  for (const key of keys) await store.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])
}

describe('rebuildProjection', () => {
  it('builds a new generation while the old one serves, switches, and drops the old one', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'b', 'a'])
    const projection = projectionFromInstance(new Counts())
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    expect(await documents.get(physicalCollection('counts', 1), 'a')).toEqual({ _id: 'a', n: 2 })
    await seed(eventStore, ['c'])
    const result = await rebuildProjection({ eventStore, documents, projection, partitions: 2 })
    expect(result).toMatchObject({ generation: 2, previousGeneration: 1, eventsApplied: 4, resumed: false })
    expect(await new ProjectionStates(documents).get('test-counts')).toMatchObject({ generation: 2, partitions: 2 })
    expect(await documents.find(physicalCollection('counts', 2), {}, { sort: { _id: 1 } })).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
      { _id: 'c', n: 1 },
    ])
    expect(await documents.listCollections('counts__')).toEqual(['counts__2'])
  })

  it('two rebuilds started at once: one is refused as the other owns the rebuild, and the active generation is whole', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'b', 'a'])
    const projection = projectionFromInstance(new Counts())
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()

    const outcomes = await Promise.allSettled([rebuildProjection({ eventStore, documents, projection }), rebuildProjection({ eventStore, documents, projection })])

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { type: 'rebuild-owned', projection: 'test-counts' } })

    const { generation } = (await new ProjectionStates(documents).get('test-counts'))!
    expect(await documents.find(physicalCollection('counts', generation), {}, { sort: { _id: 1 } })).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
    ])
  })

  it('resumes a rebuild in progress from its checkpoints', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'b'])
    const projection = projectionFromInstance(new Counts())
    const states = new ProjectionStates(documents)
    // A rebuild that stopped half way: its state and first batch are committed.
    await states.update('test-counts', () => ({ name: 'test-counts', generation: 0, version: 1, partitions: 1, rebuilding: { generation: 1, version: 1, partitions: 1, startedAt: '' }, updatedAt: '' }))
    await new ProjectionWorker({ eventStore, documents, projection, generation: 1, stopAtHead: true, batchSize: 1 }).run()
    await seed(eventStore, ['a'])
    const result = await rebuildProjection({ eventStore, documents, projection })
    expect(result.resumed).toBe(true)
    expect(result.eventsApplied).toBe(1)
    expect(await documents.get(physicalCollection('counts', 1), 'a')).toEqual({ _id: 'a', n: 2 })
  })

  it('stops when its signal aborts, stays resumable, and refuses another partition count on resume', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, Array.from({ length: 50 }, (_, i) => `k${i % 7}`))
    const projection = projectionFromInstance(new Counts())
    const controller = new AbortController()
    controller.abort()
    const stopped = await rebuildProjection({ eventStore, documents, projection, partitions: 2, signal: controller.signal })
    expect(stopped.completed).toBe(false)
    await expect(new ProjectionWorker({ eventStore, documents, projection }).run()).rejects.toBeInstanceOf(RebuildInProgressError)
    await expect(rebuildProjection({ eventStore, documents, projection, partitions: 3 })).rejects.toBeInstanceOf(PartitionCountMismatchError)
    const done = await rebuildProjection({ eventStore, documents, projection })
    expect(done).toMatchObject({ completed: true, resumed: true, generation: 1 })
    expect((await documents.find(physicalCollection('counts', 1))).reduce((n, d) => n + (d.n as number), 0)).toBe(50)
  })

  it('drops a generation retired by a switch whose drop never happened', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a'])
    const projection = projectionFromInstance(new Counts())
    await rebuildProjection({ eventStore, documents, projection })
    await rebuildProjection({ eventStore, documents, projection })
    // As if the process died right after switching to generation 3: generation 2 is still there.
    await new ProjectionWorker({ eventStore, documents, projection, generation: 3, stopAtHead: true }).run()
    await new ProjectionStates(documents).update('test-counts', (st) => st && { ...st, generation: 3, retired: { generation: 2, partitions: 1 } })
    expect(await documents.listCollections('counts__')).toEqual(['counts__2', 'counts__3'])
    await rebuildProjection({ eventStore, documents, projection })
    expect(await documents.listCollections('counts__')).toEqual(['counts__4'])
    expect((await new ProjectionStates(documents).get('test-counts'))!.retired).toBeUndefined()
  })

  it('drops the stream markers of the generations it drops (switched away from, or reset)', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a'])
    const projection = projectionFromInstance(new Counts())
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    // Markers as competing-consumer workers of generation 1 leave them.
    const mark = (generation: number) =>
      documents.commit({
        writes: [{ kind: 'put', collection: streamMarkerCollection('test-counts', generation), doc: { _id: 'K-a', revision: 0 }, expectedRevision: 0, meta: { revision: 1, positions: {} } }],
      })
    await mark(1)
    await rebuildProjection({ eventStore, documents, projection })
    expect(await documents.listCollections('_ef_stream_markers.test-counts')).toEqual([])
    await mark(2)
    await resetProjection(documents, projection)
    expect(await documents.listCollections('_ef_stream_markers.test-counts')).toEqual([])
  })

  it('resets to an empty generation', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a'])
    const projection = projectionFromInstance(new Counts())
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    await resetProjection(documents, projection)
    expect(await documents.listCollections('counts__')).toEqual([])
    const p = await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    expect(p).toMatchObject({ generation: 2, eventsApplied: 1 })
  })
})

describe('a live worker when the active generation changes', () => {
  /** Waits until `condition` holds. */
  const until = async (condition: () => Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + 5000
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const counts = (documents: InMemoryDocumentStore, generation: number) =>
    documents.find(physicalCollection('counts', generation), {}, { sort: { _id: 1 } })

  it('follows a rebuild into the new generation: later events land there, once, and the old one is gone', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const projection = projectionFromInstance(new Counts())
    await seed(eventStore, ['a', 'b'])
    const live = new ProjectionWorker({ eventStore, documents, projection, maxBatchWaitMs: 5 })
    const running = live.run()
    await until(async () => (await counts(documents, 1)).length === 2, 'the live worker to catch up')

    await rebuildProjection({ eventStore, documents, projection })
    await seed(eventStore, ['a', 'c'])
    await until(async () => (await counts(documents, 2)).length === 3, 'the new events in generation 2')
    await live.stop()
    const progress = await running

    expect(progress.generation).toBe(2)
    expect(await counts(documents, 2)).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
      { _id: 'c', n: 1 },
    ])
    expect(await documents.listCollections('counts__')).toEqual(['counts__2'])
    expect([...(await documents.listCheckpoints('test-counts@1#')).keys()]).toEqual([])
  })

  it('follows a reset: the new generation is built from the start of the log', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const projection = projectionFromInstance(new Counts())
    await seed(eventStore, ['a', 'b', 'a'])
    const live = new ProjectionWorker({ eventStore, documents, projection, maxBatchWaitMs: 5 })
    const running = live.run()
    await until(async () => (await counts(documents, 1)).length === 2, 'the live worker to catch up')

    await resetProjection(documents, projection)
    // The worker notices at its next commit.
    await seed(eventStore, ['b'])
    await until(async () => (await counts(documents, 2)).length === 2, 'generation 2 to be built')
    await live.stop()
    expect((await running).generation).toBe(2)
    expect(await counts(documents, 2)).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 2 },
    ])
    expect(await documents.listCollections('counts__')).toEqual(['counts__2'])
  })

  it('follows a reset on a quiet log: an idle worker builds the new generation without waiting for an append', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const projection = projectionFromInstance(new Counts())
    await seed(eventStore, ['a', 'b', 'a'])
    const live = new ProjectionWorker({ eventStore, documents, projection, maxBatchWaitMs: 5 })
    const running = live.run()
    await until(async () => (await counts(documents, 1)).length === 2, 'the live worker to catch up')

    await resetProjection(documents, projection)
    await until(async () => (await counts(documents, 2)).length === 2, 'generation 2 to be built with no new event')
    await live.stop()
    expect((await running).generation).toBe(2)
    expect(await counts(documents, 2)).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
    ])
  })

  it('stops with PartitionCountMismatchError when the rebuild changed the partition count', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const projection = projectionFromInstance(new Counts())
    await seed(eventStore, ['a'])
    const live = new ProjectionWorker({ eventStore, documents, projection, maxBatchWaitMs: 5 })
    const running = live.run()
    await until(async () => (await counts(documents, 1)).length === 1, 'the live worker to catch up')
    await rebuildProjection({ eventStore, documents, projection, partitions: 2 })
    await seed(eventStore, ['b'])
    await expect(running).rejects.toBeInstanceOf(PartitionCountMismatchError)
  })
})
