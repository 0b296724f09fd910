import { InMemoryEventStore, type EventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { Documents } from '../documents/documents'
import { DeadLetters } from '../dead-letters/dead-letters'
import { On, Projection } from '../projection/decorators'
import { defineProjection, projectionFromInstance } from '../projection/projection-definition'
import { physicalCollection, PROJECTION_STATE_COLLECTION } from '../generations/projection-state'
import { PartitionCountMismatchError, ProjectionWorker } from './projection-worker'

type Moved = { account: string; amount: number; day: string }

@Projection('test-balances', { collections: ['balances', 'days'] })
class Balances {
  poison = new Set<string>()
  applications = 0
  @On('Moved') async moved(e: RecordedEvent<Moved>, view: Documents): Promise<void> {
    this.applications++
    if (this.poison.has(e.metadata.eventId)) throw new Error(`cannot apply ${e.metadata.eventId}`)
    view.upsert(e.data.account, { $inc: { balance: e.data.amount, count: 1 }, $setOnInsert: { since: e.data.day } })
    // One document shared by every stream: partitions must not lose each other's updates.
    view.collection('days').upsert(e.data.day, { $inc: { total: e.data.amount, count: 1 }, $max: { largest: e.data.amount } })
  }
}

const seed = async (store: EventStore, streams = 20, perStream = 25): Promise<number> => {
  let n = 0
  for (let r = 0; r < perStream; r++) {
    for (let s = 0; s < streams; s++) {
      await store.appendToStream(`Acc-${s}`, [
        { type: 'Moved', data: { account: `a${s}`, amount: (s + 1) * (r % 3 === 0 ? -1 : 2), day: `d${r % 4}` }, metadata: { eventId: `e-${s}-${r}` } },
        { type: 'Ignored', data: {} },
      ])
      n++
    }
  }
  return n
}

const snapshot = async (docs: InMemoryDocumentStore, generation = 1) => ({
  balances: await docs.find(physicalCollection('balances', generation), {}, { sort: { _id: 1 } }),
  days: await docs.find(physicalCollection('days', generation), {}, { sort: { _id: 1 } }),
})

const runAll = async (eventStore: EventStore, documents: InMemoryDocumentStore, projection: Balances, partitions: number, extra = {}) => {
  const def = projectionFromInstance(projection)
  const workers = Array.from({ length: partitions }, (_, index) =>
    new ProjectionWorker({ eventStore, documents, projection: def, partition: { index, count: partitions }, stopAtHead: true, batchSize: 37, retry: { initialDelayMs: 1, maxDelayMs: 2 }, ...extra }),
  )
  return Promise.all(workers.map((w) => w.run()))
}

describe('ProjectionWorker', () => {
  it('projects every event once and commits the checkpoint with the writes', async () => {
    const eventStore = new InMemoryEventStore()
    const n = await seed(eventStore)
    const documents = new InMemoryDocumentStore()
    const projection = new Balances()
    const [progress] = await runAll(eventStore, documents, projection, 1)
    expect(progress!.eventsApplied).toBe(n)
    // The log ends with an event the projection filters out: the checkpoint still reaches the head.
    expect(progress!.checkpoint).toBe(await eventStore.headPosition())
    const { balances, days } = await snapshot(documents)
    expect(balances).toHaveLength(20)
    expect(balances.reduce((s, d) => s + (d.count as number), 0)).toBe(n)
    expect(days.reduce((s, d) => s + (d.count as number), 0)).toBe(n)
    // Writes are coalesced: never more than one per distinct document per batch.
    expect(progress!.writes).toBeLessThanOrEqual(progress!.batches * 24)
  })

  it('gives the same read model with 4 partitions as with 1', async () => {
    const eventStore = new InMemoryEventStore()
    await seed(eventStore)
    const one = new InMemoryDocumentStore()
    const four = new InMemoryDocumentStore()
    await runAll(eventStore, one, new Balances(), 1)
    await runAll(eventStore, four, new Balances(), 4)
    expect(await snapshot(four)).toEqual(await snapshot(one))
  })

  it('resumes from its checkpoint without applying anything twice', async () => {
    const eventStore = new InMemoryEventStore()
    await seed(eventStore, 5, 10)
    const documents = new InMemoryDocumentStore()
    const projection = new Balances()
    await runAll(eventStore, documents, projection, 1)
    const before = await snapshot(documents)
    const applied = projection.applications
    await runAll(eventStore, documents, projection, 1)
    expect(projection.applications).toBe(applied)
    await eventStore.appendToStream('Acc-0', [{ type: 'Moved', data: { account: 'a0', amount: 1000, day: 'd0' } }])
    await runAll(eventStore, documents, projection, 1)
    const after = await snapshot(documents)
    expect(after.balances.find((d) => d._id === 'a0')!.balance).toBe((before.balances.find((d) => d._id === 'a0')!.balance as number) + 1000)
  })

  it('parks a poison event after its attempts and projects every other event', async () => {
    const eventStore = new InMemoryEventStore()
    const n = await seed(eventStore, 4, 5)
    const documents = new InMemoryDocumentStore()
    const projection = new Balances()
    projection.poison.add('e-2-3')
    const [progress] = await runAll(eventStore, documents, projection, 1, { maxAttempts: 3 })
    expect(progress!.parked).toBe(1)
    expect(progress!.eventsApplied).toBe(n - 1)
    const letters = await new DeadLetters(documents).list('test-balances')
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({ projection: 'test-balances', attempts: 3, event: { type: 'Moved', streamId: 'Acc-2' }, error: { message: 'cannot apply e-2-3' } })
    const { balances } = await snapshot(documents)
    expect(balances.reduce((s, d) => s + (d.count as number), 0)).toBe(n - 1)
  })

  it('parks an event whose handler queries with an invalid filter, and waits out a store whose reads fail without parking anything', async () => {
    const eventStore = new InMemoryEventStore()
    await eventStore.appendToStream('T-1', [{ type: 'Looked', data: { filter: { owner: 'ann' } } }])
    await eventStore.appendToStream('T-2', [{ type: 'Looked', data: { filter: { owner: { $nope: 1 } } } }])
    await eventStore.appendToStream('T-3', [{ type: 'Looked', data: { filter: { owner: 'bob' } } }])
    class ReadsFailingStore extends InMemoryDocumentStore {
      findFailures = 4
      override async find(...args: Parameters<InMemoryDocumentStore['find']>) {
        if (this.findFailures-- > 0) throw new Error('connection reset (find)')
        return super.find(...args)
      }
    }
    const documents = new ReadsFailingStore()
    const lookups = defineProjection({
      name: 'lookups',
      collections: ['lookups'],
      handlers: {
        Looked: async (e: RecordedEvent<{ filter: Record<string, unknown> }>, view) => {
          const found = await view.find(e.data.filter)
          view.upsert(e.streamId, { $set: { found: found.length } })
        },
      },
    })
    const outages: unknown[] = []

    const progress = await new ProjectionWorker({ eventStore, documents, projection: lookups, stopAtHead: true, retry: { initialDelayMs: 1, maxDelayMs: 2 }, onError: (e) => outages.push(e) }).run()

    expect(outages).toHaveLength(4)
    expect(progress).toMatchObject({ parked: 1, eventsApplied: 2 })
    expect(await new DeadLetters(documents).list('lookups')).toMatchObject([{ event: { streamId: 'T-2' }, error: { name: 'InvalidDocumentOperationError' } }])
  })

  it('parks a poison event of a batch that spans several reads, reading the batch again from the log', async () => {
    const eventStore = new InMemoryEventStore()
    const n = await seed(eventStore, 20, 150) // 3,000 projected events, 6,000 in the log
    const documents = new InMemoryDocumentStore()
    const projection = new Balances()
    projection.poison.add('e-7-120')
    const [progress] = await runAll(eventStore, documents, projection, 1, { batchSize: 100_000, keepDocuments: 1000 })
    expect(progress!.batches).toBe(1)
    expect(progress!.parked).toBe(1)
    expect(progress!.eventsApplied).toBe(n - 1)
    // Each of the 3 attempts and the final pass applied the batch from the start.
    expect(projection.applications).toBeGreaterThanOrEqual(n * 3)
    const { balances, days } = await snapshot(documents)
    expect(balances.reduce((s, d) => s + (d.count as number), 0)).toBe(n - 1)
    expect(days.reduce((s, d) => s + (d.count as number), 0)).toBe(n - 1)
  })

  it('parks the event whose document a unique index refuses, instead of stalling', async () => {
    @Projection('test-owners', { collection: 'owners', indexes: [{ collection: 'owners', keys: { email: 1 }, unique: true }] })
    class Owners {
      @On('Registered') registered(e: RecordedEvent<{ id: string; email: string }>, view: Documents): void {
        view.insert({ _id: e.data.id, email: e.data.email })
      }
    }
    const eventStore = new InMemoryEventStore()
    await eventStore.appendToStream('Owner-1', [{ type: 'Registered', data: { id: 'o1', email: 'ann@example.com' } }])
    await eventStore.appendToStream('Owner-2', [{ type: 'Registered', data: { id: 'o2', email: 'ann@example.com' } }])
    await eventStore.appendToStream('Owner-3', [{ type: 'Registered', data: { id: 'o3', email: 'bob@example.com' } }])
    const documents = new InMemoryDocumentStore()
    const progress = await new ProjectionWorker({
      eventStore,
      documents,
      projection: projectionFromInstance(new Owners()),
      stopAtHead: true,
      batchSize: 1,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    }).run()
    expect(progress.parked).toBe(1)
    expect((await documents.find(physicalCollection('owners', 1), {}, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['o1', 'o3'])
    const [letter] = await new DeadLetters(documents).list('test-owners')
    expect(letter).toMatchObject({ event: { streamId: 'Owner-2' }, error: { name: 'DuplicateDocumentError' } })
  })

  it('redoes a batch from fresh reads when a document it kept was changed by someone else', async () => {
    const eventStore = new InMemoryEventStore()
    const n = await seed(eventStore, 3, 20)
    const documents = new InMemoryDocumentStore()
    const balances = physicalCollection('balances', 1)
    let touched = false
    const worker = new ProjectionWorker({
      eventStore,
      documents,
      projection: projectionFromInstance(new Balances()),
      stopAtHead: true,
      batchSize: 10,
      keepDocuments: 100,
      onProgress: () => {
        if (touched) return
        touched = true
        // An operator's manual fix between two batches: the worker's kept copy is now stale.
        void documents.getMany(balances, ['a0']).then((found) => {
          const stored = found.get('a0')!
          return documents.commit({
            writes: [{ kind: 'put', collection: balances, doc: { ...stored.doc, note: 'fixed' }, meta: { ...stored.meta, revision: stored.meta.revision + 1 }, expectedRevision: stored.meta.revision }],
          })
        })
      },
    })
    const progress = await worker.run()
    expect(progress.eventsApplied).toBe(n)
    const docs = await documents.find(balances, {}, { sort: { _id: 1 } })
    expect(docs.find((d) => d._id === 'a0')).toMatchObject({ note: 'fixed', count: 20 })
    expect(docs.reduce((s, d) => s + (d.count as number), 0)).toBe(n)
  })

  it('moves an idle checkpoint past events of other types while it follows the log', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const worker = new ProjectionWorker({ eventStore, documents, projection: projectionFromInstance(new Balances()), maxBatchWaitMs: 5 })
    const running = worker.run()
    await eventStore.appendToStream('Acc-1', [{ type: 'Moved', data: { account: 'a1', amount: 5, day: 'd' } }])
    for (let i = 0; i < 50; i++) await eventStore.appendToStream('Other-1', [{ type: 'Ignored', data: {} }])
    const head = await eventStore.headPosition()
    for (let i = 0; i < 200 && worker.status.checkpoint !== head; i++) await new Promise((r) => setTimeout(r, 10))
    await worker.stop()
    await running
    expect(worker.status.checkpoint).toBe(head)
    expect(await documents.readCheckpoint('test-balances@1#0/1')).toBe(head)
  })

  it('refuses to run with another partition count than the read model was built with', async () => {
    const eventStore = new InMemoryEventStore()
    await seed(eventStore, 2, 2)
    const documents = new InMemoryDocumentStore()
    await runAll(eventStore, documents, new Balances(), 1)
    await expect(runAll(eventStore, documents, new Balances(), 2)).rejects.toBeInstanceOf(PartitionCountMismatchError)
  })

  it('rides out store errors (commits and the generation check) with retries, and loses or repeats nothing', async () => {
    /** Fails the first commits of the worker's batches and reads of the projection state, as a dropped connection would. */
    class FlakyStore extends InMemoryDocumentStore {
      commitFailures = 3
      stateReadFailures = 2
      override async commit(request: Parameters<InMemoryDocumentStore['commit']>[0]) {
        if (request.checkpoint && this.commitFailures-- > 0) throw new Error('connection reset (commit)')
        return super.commit(request)
      }
      override async getMany(collection: string, ids: readonly string[]) {
        // Once the worker runs (its first commit failed): the reads of the state before each commit.
        if (collection === PROJECTION_STATE_COLLECTION && this.commitFailures < 3 && this.stateReadFailures-- > 0) throw new Error('connection reset (read)')
        return super.getMany(collection, ids)
      }
    }
    const eventStore = new InMemoryEventStore()
    const events = await seed(eventStore, 4, 5)
    const flaky = new FlakyStore()
    const errors: unknown[] = []
    const [progress] = await runAll(eventStore, flaky, new Balances(), 1, { onError: (e: unknown) => errors.push(e) })
    expect(progress!.eventsApplied).toBe(events)
    expect(errors.length).toBeGreaterThanOrEqual(3)
    // At least one read of the state before a commit failed, and the worker went on.
    expect(flaky.stateReadFailures).toBeLessThan(2)
    const clean = new InMemoryDocumentStore()
    await runAll(eventStore, clean, new Balances(), 1)
    expect(await snapshot(flaky)).toEqual(await snapshot(clean))
  })

  it('follows live appends and stops gracefully', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const worker = new ProjectionWorker({ eventStore, documents, projection: projectionFromInstance(new Balances()), maxBatchWaitMs: 5 })
    const running = worker.run()
    await eventStore.appendToStream('Acc-1', [{ type: 'Moved', data: { account: 'a1', amount: 5, day: 'd' } }])
    for (let i = 0; i < 100 && worker.status.eventsApplied < 1; i++) await new Promise((r) => setTimeout(r, 10))
    await worker.stop()
    const final = await running
    expect(final.eventsApplied).toBe(1)
    expect(await documents.get(physicalCollection('balances', 1), 'a1')).toMatchObject({ balance: 5 })
  })
})
