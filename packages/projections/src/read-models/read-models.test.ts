import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { Documents } from '../documents/documents'
import { resetProjection } from '../generations/generations'
import { On, Projection } from '../projection/decorators'
import { projectionFromInstance } from '../projection/projection-definition'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { ProjectionWorker } from '../worker/projection-worker'
import { ReadModels } from './read-models'

@Projection('hit-counts', { collection: 'hits' })
class HitCounts {
  by = 1
  @On('Hit') hit(e: RecordedEvent<{ key: string }>, view: Documents): void {
    view.upsert(e.data.key, { $inc: { n: this.by } })
  }
}

const setUp = async () => {
  const eventStore = new InMemoryEventStore()
  const documents = new InMemoryDocumentStore()
  for (const key of ['a', 'b', 'a']) await eventStore.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])
  const counts = new HitCounts()
  const projection = projectionFromInstance(counts)
  await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
  return { eventStore, documents, counts, projection }
}

describe('ReadModels', () => {
  it('reads a read model by the collection name its projection declares', async () => {
    const { documents } = await setUp()
    const hits = new ReadModels(documents).collection('hits')
    expect(await hits.get('a')).toEqual({ _id: 'a', n: 2 })
    expect(await hits.find({}, { sort: { _id: 1 } })).toEqual([{ _id: 'a', n: 2 }, { _id: 'b', n: 1 }])
    expect(await hits.count({ n: { $gt: 1 } })).toBe(1)
    expect(documents.publishedCollection('hits')).toBe('hits__1')
  })

  it('follows a rebuild at once, even with the old generation cached', async () => {
    const { eventStore, documents, counts, projection } = await setUp()
    const hits = new ReadModels(documents, { maxAgeMs: 60_000 }).collection('hits')
    expect(await hits.get('a')).toEqual({ _id: 'a', n: 2 })
    counts.by = 10
    await rebuildProjection({ eventStore, documents, projection })
    expect(await hits.get('a')).toEqual({ _id: 'a', n: 20 })
    expect(documents.publishedCollection('hits')).toBe('hits__2')
  })

  it('publishes the active generation again when a worker or a rebuild starts, healing names a crash left behind', async () => {
    const { eventStore, documents, projection } = await setUp()
    await rebuildProjection({ eventStore, documents, projection })
    const lose = () => documents.commit({ writes: [], publish: [{ name: 'hits', collection: 'hits__1' }] })

    await lose()
    const stopped = new AbortController()
    stopped.abort()
    expect(await rebuildProjection({ eventStore, documents, projection, signal: stopped.signal })).toMatchObject({ completed: false })
    expect(documents.publishedCollection('hits')).toBe('hits__2')

    await lose()
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    expect(documents.publishedCollection('hits')).toBe('hits__2')
  })

  it('follows a reset to the fresh generation', async () => {
    const { documents, projection } = await setUp()
    const hits = new ReadModels(documents, { maxAgeMs: 0 }).collection('hits')
    await resetProjection(documents, projection)
    expect(await hits.count()).toBe(0)
    expect(documents.publishedCollection('hits')).toBe('hits__2')
  })

  it('rejects a name no projection that ran declares, listing those it knows', async () => {
    const { documents } = await setUp()
    await expect(new ReadModels(documents).collection('hist').find()).rejects.toMatchObject({ type: 'unknown-read-model', readModel: 'hist', known: ['hits'] })
  })

  it('rejects reads while the first rebuild has nothing to serve', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await eventStore.appendToStream('K-a', [{ type: 'Hit', data: { key: 'a' } }])
    const controller = new AbortController()
    controller.abort()
    await rebuildProjection({ eventStore, documents, projection: projectionFromInstance(new HitCounts()), signal: controller.signal })
    await expect(new ReadModels(documents).collection('hits').get('a')).rejects.toMatchObject({
      type: 'read-model-not-ready',
      projection: 'hit-counts',
      rebuildingGeneration: 1,
    })
  })
})
