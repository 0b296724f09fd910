import { InMemoryEventStore, PermanentStoreError, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { Documents } from '../documents/documents'
import { On, Projection } from '../projection/decorators'
import { projectionFromInstance } from '../projection/projection-definition'
import { ProjectionWorker } from './projection-worker'

@Projection('permanent-counts', { collection: 'counts' })
class Counts {
  @On('Counted') counted(e: RecordedEvent<{ id: string }>, view: Documents): void {
    view.upsert(e.data.id, { $inc: { n: 1 } })
  }
}

/** Commits of the projection's batches fail as a read-only SQLite file makes them fail. */
class ReadOnlyStore extends InMemoryDocumentStore {
  commits = 0
  override async commit(request: Parameters<InMemoryDocumentStore['commit']>[0]) {
    if (request.checkpoint?.name.startsWith('permanent-counts')) {
      this.commits++
      throw new PermanentStoreError('SQLite', '/data/app.db', 'is read-only', 'SQLITE_READONLY')
    }
    return super.commit(request)
  }
}

describe('a projection worker on a store that fails for good', () => {
  it('stops with the PermanentStoreError at the first failed commit instead of retrying', async () => {
    const eventStore = new InMemoryEventStore()
    await eventStore.appendToStream('C-1', [{ type: 'Counted', data: { id: 'a' } }])
    const documents = new ReadOnlyStore()
    const errors: unknown[] = []
    const worker = new ProjectionWorker({
      eventStore,
      documents,
      projection: projectionFromInstance(new Counts()),
      stopAtHead: true,
      onError: (e) => errors.push(e),
    })
    await expect(worker.run()).rejects.toMatchObject({ type: 'permanent-store', location: '/data/app.db' })
    expect(documents.commits).toBe(1)
    expect(errors).toEqual([])
  })
})
