import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, type EventStore, type RecordedEvent } from '@eventfold/core'
import type { Document } from '../documents/document'
import type { CommitRequest, DocumentStore } from '../documents/document-store'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { DeadLetter } from '../dead-letters/dead-letters'
import { defineProjection, projectionFilter, type ProjectionDefinition } from '../projection/projection-definition'
import { physicalCollection } from '../generations/projection-state'
import { CompetingConsumerWorker, type CompetingConsumerWorkerOptions } from '../worker/competing-consumer-worker'
import { ProjectionWorker } from '../worker/projection-worker'
import type { DocumentStoreUnderTest } from './document-store-contract'
import { PinnedCompetingSource } from './pinned-competing-source'

type Moved = { readonly account: string; readonly amount: number; readonly day: string }

/** A projection whose read model shows any event applied twice, lost, or applied out of stream order. */
const balances = (tag: string, poison: Set<string>): ProjectionDefinition =>
  defineProjection({
    name: `${tag}-balances`,
    collections: [`${tag}_balances`, `${tag}_days`, `${tag}_streams`],
    handlers: {
      Moved: (e: RecordedEvent<Moved>, view) => {
        if (poison.has(e.metadata.eventId)) throw new Error(`cannot apply ${e.streamId}@${e.revision}`)
        // Accounts and days are shared by many streams, so by streams held by different workers.
        view.upsert(e.data.account, { $inc: { balance: e.data.amount, count: 1 } })
        view.collection(`${tag}_days`).upsert(e.data.day, { $inc: { total: e.data.amount, count: 1 } })
        // Every revision applied, in the order applied.
        view.collection(`${tag}_streams`).upsert(e.streamId, { $push: { revisions: Number(e.revision) } })
      },
    },
  })

const seed = async (events: EventStore, streams: number, perStream: number): Promise<number> => {
  for (let r = 0; r < perStream; r++) {
    for (let s = 0; s < streams; s++) {
      await events.appendToStream(`Acc-${s}`, [
        { type: 'Moved', data: { account: `a${s % 37}`, amount: (s % 7) - 3 + r, day: `d${(s + r) % 5}` }, metadata: { eventId: `e-${s}-${r}` } },
        { type: 'Ignored', data: {} },
      ])
    }
  }
  return streams * perStream
}

const readModel = async (documents: DocumentStore, projection: ProjectionDefinition, generation = 1): Promise<Record<string, Document[]>> => {
  const model: Record<string, Document[]> = {}
  for (const c of projection.collections) model[c] = await documents.find(physicalCollection(c, generation), {}, { sort: { _id: 1 } })
  return model
}

/** What one store-independent rebuild makes of the log: the model the competing workers must reach. */
const rebuilt = async (events: EventStore, projection: ProjectionDefinition): Promise<Record<string, Document[]>> => {
  const documents = new InMemoryDocumentStore()
  await new ProjectionWorker({ eventStore: events, documents, projection, stopAtHead: true }).run()
  return readModel(documents, projection)
}

/** A store that hands each commit to `before` first (to kill a worker at that instant). */
const interceptCommits = (store: DocumentStore, before: (n: number) => Promise<void>): DocumentStore => {
  let n = 0
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'commit') return Reflect.get(target, key, receiver)
      return async (request: CommitRequest) => {
        await before(++n)
        return target.commit(request)
      }
    },
  })
}

const settle = async (group: PinnedCompetingSource, workers: readonly CompetingConsumerWorker[], running: readonly Promise<unknown>[]) => {
  await group.settled()
  await Promise.all(workers.map((w) => w.stop()))
  await Promise.all(running)
}

const collect = async (letters: AsyncIterable<DeadLetter>): Promise<DeadLetter[]> => {
  const out: DeadLetter[] = []
  for await (const letter of letters) out.push(letter)
  return out
}

/**
 * Registers jest tests of the {@link CompetingConsumerWorker} on a document
 * store with transactions: competing workers of one projection on an
 * in-process {@link PinnedCompetingSource}, one killed mid-run, must build the
 * read model a single rebuild builds, applying each event once, and park a
 * poison event. The factory runs before each test and returns an open store,
 * closed after the test.
 * @example
 * ```ts
 * competingConsumerSuite('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
 * ```
 */
export const competingConsumerSuite = (name: string, factory: () => Promise<DocumentStoreUnderTest>): void => {
  describe(`CompetingConsumerWorker on ${name}`, () => {
    let documents: DocumentStore
    let teardown: (() => Promise<void>) | undefined
    let events: InMemoryEventStore
    let tag: string
    let group: PinnedCompetingSource | undefined
    const fast: Partial<CompetingConsumerWorkerOptions> = { maxBatchWaitMs: 5, retry: { initialDelayMs: 1, maxDelayMs: 2 } }

    beforeEach(async () => {
      ;({ store: documents, teardown } = await factory())
      events = new InMemoryEventStore()
      tag = `c${randomBytes(4).toString('hex')}`
    })
    afterEach(async () => {
      await group?.close()
      group = undefined
      await events.close()
      await documents.close()
      await teardown?.()
    })

    it.each([
      ['commits its last batch before the others get it again', 0],
      ['commits its last batch after the others applied it', 40],
    ])(
      'builds the read model of a single rebuild with three workers, one killed mid-run that %s, applying each event once',
      async (_label, commitDelayMs) => {
        const n = await seed(events, 240, 12)
        const projection = balances(tag, new Set())
        group = new PinnedCompetingSource(events, { name: tag, filter: projectionFilter(projection), buckets: 32, bufferSize: 64 })
        const source = group
        // The victim dies at its third commit (one may have created the projection's state), before acknowledging that batch.
        const victimStore = interceptCommits(documents, async (commit) => {
          if (commit !== 3) return
          source.crash('c')
          if (commitDelayMs > 0) await new Promise((r) => setTimeout(r, commitDelayMs))
        })
        const workers = (['a', 'b', 'c'] as const).map(
          (consumer) =>
            new CompetingConsumerWorker(group!.consumer(consumer), { ...fast, documents: consumer === 'c' ? victimStore : documents, projection, batchSize: 40 }),
        )
        const running = workers.map((w) => w.run())

        await group.settled()
        // The survivors hold every bucket, the victim's included.
        expect(group.bucketsOf('c')).toEqual([])
        expect([...group.bucketsOf('a'), ...group.bucketsOf('b')].sort((x, y) => x - y)).toEqual(Array.from({ length: 32 }, (_, i) => i))
        await settle(group, workers, running)

        expect(group.status.redeliveries).toBeGreaterThan(0)
        expect(workers[2]!.status.eventsApplied).toBeGreaterThan(0)
        // Applied once each: the counts of all workers add up to the log, however often events were delivered.
        expect(workers.reduce((sum, w) => sum + w.status.eventsApplied, 0)).toBe(n)
        expect(group.status.deliveries).toBeGreaterThan(n)
        const model = await readModel(documents, projection)
        for (const stream of model[`${tag}_streams`]!) expect(stream.revisions).toEqual(Array.from({ length: 12 }, (_, r) => 2 * r))
        expect(model).toEqual(await rebuilt(events, projection))
      },
    )

    it('parks a poison event through the group and applies every other event', async () => {
      const n = await seed(events, 12, 5)
      const poison = new Set(['e-4-2'])
      const projection = balances(tag, poison)
      group = new PinnedCompetingSource(events, { name: tag, filter: projectionFilter(projection), projection: projection.name, buckets: 8 })
      const workers = ['a', 'b'].map((c) => new CompetingConsumerWorker(group!.consumer(c), { ...fast, documents, projection, maxAttempts: 3 }))
      const running = workers.map((w) => w.run())

      await settle(group, workers, running)

      expect(workers.reduce((sum, w) => sum + w.status.eventsApplied, 0)).toBe(n - 1)
      expect(workers.reduce((sum, w) => sum + w.status.parked, 0)).toBe(1)
      const letters = await collect(workers[0]!.deadLetters())
      expect(letters).toHaveLength(1)
      expect(letters[0]).toMatchObject({
        projection: projection.name,
        attempts: 3,
        event: { type: 'Moved', streamId: 'Acc-4', revision: '4' },
        error: { message: 'cannot apply Acc-4@4' },
      })
      const stream = await documents.get(physicalCollection(`${tag}_streams`, 1), 'Acc-4')
      expect(stream?.revisions).toEqual([0, 2, 6, 8])
    })

    it('applies a parked event when the group delivers it again', async () => {
      await seed(events, 3, 3)
      const poison = new Set(['e-1-0'])
      const projection = balances(tag, poison)
      group = new PinnedCompetingSource(events, { name: tag, filter: projectionFilter(projection) })
      const worker = new CompetingConsumerWorker(group.consumer('a'), { ...fast, documents, projection, maxAttempts: 1 })
      const running = worker.run()
      await group.settled()
      poison.clear()

      group.replayParked()
      await settle(group, [worker], [running])

      expect(worker.status).toMatchObject({ parked: 1, eventsApplied: 9 })
      const stream = await documents.get(physicalCollection(`${tag}_streams`, 1), 'Acc-1')
      // A replay comes after the stream's later events: it is applied out of order, as any dead letter retried.
      expect(stream?.revisions).toEqual([2, 4, 0])
    })
  })
}
