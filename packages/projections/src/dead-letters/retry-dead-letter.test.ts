import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { DocumentWrite } from '../documents/document-store'
import type { Documents } from '../documents/documents'
import { physicalCollection } from '../generations/projection-state'
import { On, Projection } from '../projection/decorators'
import { projectionFromInstance } from '../projection/projection-definition'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { ProjectionWorker } from '../worker/projection-worker'
import { DEAD_LETTER_COLLECTION, DeadLetters, type DeadLetter } from './dead-letters'
import { retryDeadLetter } from './retry-dead-letter'

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

describe('retryDeadLetter', () => {
  it('applies a parked event once the handler is fixed, and removes it', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'bad', 'a'])
    const counts = new Counts()
    counts.broken = true
    const projection = projectionFromInstance(counts)
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true, retry: { initialDelayMs: 1 } }).run()
    const dlq = new DeadLetters(documents)
    const [letter] = await dlq.list()
    expect(letter).toMatchObject({ event: { streamId: 'K-bad' }, error: { message: 'handler bug' } })
    await expect(retryDeadLetter(documents, projection, letter!.id)).rejects.toThrow('handler bug')
    expect((await dlq.get(letter!.id))!.attempts).toBe(letter!.attempts + 1)
    counts.broken = false
    await retryDeadLetter(documents, projection, letter!.id)
    expect(await dlq.list()).toEqual([])
    expect(await documents.get(physicalCollection('counts', 1), 'bad')).toEqual({ _id: 'bad', n: 1 })
    await expect(retryDeadLetter(documents, projection, letter!.id)).rejects.toMatchObject({ type: 'dead-letter-not-found' })
  })

  const parkThenFixAndRebuild = async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'bad', 'a'])
    const counts = new Counts()
    counts.broken = true
    const projection = projectionFromInstance(counts)
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true, retry: { initialDelayMs: 1 } }).run()
    const [letter] = await new DeadLetters(documents).list()
    counts.broken = false
    return { eventStore, documents, projection, letter: letter! }
  }

  it('retires the dead letters of a generation with it, so a rebuild that applied the event leaves nothing to apply twice', async () => {
    const { eventStore, documents, projection, letter } = await parkThenFixAndRebuild()
    expect(letter.generation).toBe(1)
    await rebuildProjection({ eventStore, documents, projection })
    expect(await documents.get(physicalCollection('counts', 2), 'bad')).toEqual({ _id: 'bad', n: 1 })
    expect(await new DeadLetters(documents).list()).toEqual([])
    await expect(retryDeadLetter(documents, projection, letter.id)).rejects.toMatchObject({ type: 'dead-letter-not-found' })
    expect(await documents.get(physicalCollection('counts', 2), 'bad')).toEqual({ _id: 'bad', n: 1 })
  })

  it('refuses a dead letter of a generation readers no longer use, naming the projection and both generations', async () => {
    const { eventStore, documents, projection, letter } = await parkThenFixAndRebuild()
    await rebuildProjection({ eventStore, documents, projection })
    // As a letter left behind by a store written before letters were retired with their generation.
    if (!(await new DeadLetters(documents).get(letter.id))) await documents.commit({ writes: [parkWriteOf(letter)] })

    await expect(retryDeadLetter(documents, projection, letter.id)).rejects.toMatchObject({
      type: 'dead-letter-generation-retired',
      id: letter.id,
      projection: 'test-counts',
      letterGeneration: 1,
      activeGeneration: 2,
    })
    expect(await documents.get(physicalCollection('counts', 2), 'bad')).toEqual({ _id: 'bad', n: 1 })
    expect(await new DeadLetters(documents).get(letter.id)).toMatchObject({ attempts: letter.attempts })
  })

  it('applies a dead letter parked by a rebuild in progress into the generation being built, not the one readers use', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    await seed(eventStore, ['a', 'bad'])
    const counts = new Counts()
    const projection = projectionFromInstance(counts)
    await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
    counts.broken = true
    const controller = new AbortController()
    // Stopped after its batches, before the switch: the rebuild stays in progress.
    await rebuildProjection({ eventStore, documents, projection, signal: controller.signal, onProgress: (p) => p.parked > 0 && controller.abort() })
    const [letter] = await new DeadLetters(documents).list()
    expect(letter).toMatchObject({ generation: 2 })
    counts.broken = false

    await retryDeadLetter(documents, projection, letter!.id)

    expect(await documents.get(physicalCollection('counts', 2), 'bad')).toEqual({ _id: 'bad', n: 1 })
    expect(await documents.get(physicalCollection('counts', 1), 'bad')).toEqual({ _id: 'bad', n: 1 })
  })
})

const parkWriteOf = (letter: DeadLetter): DocumentWrite => {
  const { id, ...rest } = letter
  return { kind: 'put', collection: DEAD_LETTER_COLLECTION, doc: { _id: id, ...rest }, meta: { revision: 1, positions: {} }, expectedRevision: 0 }
}
