import { randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { ObjectId } from 'mongodb'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { On, Projection, projectionFromInstance, ProjectionWorker, type DocumentStore, type Documents } from '@eventfold/projections'
import { checkpointName, type CommitRequest, physicalCollection } from '@eventfold/projections/spi'
import { batchWrites } from '@eventfold/projections/testing'
import { describeMongo } from '../testing/connect'
import type { MongoDocument } from './bookkeeping'
import { bulkWrite, sendingOrder } from './collection-writes'
import { MongoDocumentStore } from './mongo-document-store'

type Handle = (docs: Documents) => void

/**
 * Without transactions a commit writes the documents, then the checkpoint.
 * These tests stop it between the two (or between two collections) as a
 * crash would, and replay the batch as the restarted worker does.
 */
describeMongo('MongoDocumentStore without transactions, after a crash', (mongo) => {
  let store: MongoDocumentStore
  let tag: string
  const accounts = () => `${tag}_accounts`
  const days = () => `${tag}_days`

  const events: ReadonlyArray<readonly [bigint, Handle]> = [
    [11n, (d) => d.upsert('a1', { $inc: { balance: 5 }, $push: { log: 11 } })],
    [12n, (d) => d.collection(days()).upsert('mon', { $inc: { total: 5 } })],
    [13n, (d) => d.upsert('a2', { $inc: { balance: 7 }, $push: { log: 13 } })],
    [14n, (d) => d.upsert('a1', { $inc: { balance: -2 }, $push: { log: 14 } })],
    [15n, (d) => d.collection(days()).upsert('mon', { $inc: { total: 5 } })],
    [16n, (d) => d.delete('closed')],
  ]
  const expectedAccounts = [
    { _id: 'a1', balance: 3, log: [11, 14] },
    { _id: 'a2', balance: 7, log: [13] },
  ]

  const batchOf = (batchEvents: ReadonlyArray<readonly [bigint, Handle]>) => batchWrites(store, accounts(), batchEvents)
  const everything = async () => ({
    accounts: await store.getMany(accounts(), ['a1', 'a2', 'closed']),
    days: await store.getMany(days(), ['mon']),
  })

  beforeEach(async () => {
    store = new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false })
    tag = `c${randomBytes(5).toString('hex')}`
    // An earlier batch, committed with its checkpoint.
    await store.commit({ writes: await batchOf([[3n, (d) => d.insert({ _id: 'closed', balance: 0 })]]), checkpoint: { name: `${tag}:cp`, position: 10n } })
  })

  it('changes nothing twice when the batch is replayed after its documents were written but not its checkpoint', async () => {
    const writes = await batchOf(events)
    await store.commit({ writes }) // The crash: the checkpoint of this commit is never written.
    const afterCrash = await everything()

    const replayed = await batchOf(events)
    await store.commit({ writes: replayed, checkpoint: { name: `${tag}:cp`, position: 16n } })

    expect(writes).toHaveLength(4)
    expect(replayed).toEqual([])
    expect(await everything()).toEqual(afterCrash)
    expect(await store.find(accounts(), {}, { sort: { _id: 1 } })).toEqual(expectedAccounts)
    expect(await store.get(days(), 'mon')).toEqual({ _id: 'mon', total: 10 })
    expect(await store.readCheckpoint(`${tag}:cp`)).toBe(16n)
  })

  it('writes only what is missing when the crash came between the collections of a commit', async () => {
    const writes = await batchOf(events)
    // The crash: only the accounts' bulk write reached the server.
    const onlyAccounts = sendingOrder(writes.filter((w) => w.collection === accounts()))
    await bulkWrite(mongo().client.db(mongo().dbName).collection<MongoDocument>(accounts()), onlyAccounts, new ObjectId())
    expect(await store.get(days(), 'mon')).toBeUndefined()

    const replayed = await batchOf(events)
    await store.commit({ writes: replayed, checkpoint: { name: `${tag}:cp`, position: 16n } })

    expect(replayed.map((w) => w.collection)).toEqual([days()])
    expect(await store.find(accounts(), {}, { sort: { _id: 1 } })).toEqual(expectedAccounts)
    expect(await store.get(days(), 'mon')).toEqual({ _id: 'mon', total: 10 })
  })

  it('applies only the events past what a document already has when a longer batch is replayed', async () => {
    await store.commit({ writes: await batchOf(events.slice(0, 3)) }) // Crashed after a shorter batch's documents.

    await store.commit({ writes: await batchOf(events), checkpoint: { name: `${tag}:cp`, position: 16n } })

    expect(await store.find(accounts(), {}, { sort: { _id: 1 } })).toEqual(expectedAccounts)
    expect(await store.get(days(), 'mon')).toEqual({ _id: 'mon', total: 10 })
  })

  describe('a projection worker that dies mid-run', () => {
    type Moved = { account: string; amount: number; day: string }

    @Projection('crash-balances', { collections: ['balances', 'days'] })
    class Balances {
      @On('Moved') moved(e: RecordedEvent<Moved>, view: Documents): void {
        view.upsert(e.data.account, { $inc: { balance: e.data.amount, count: 1 } })
        // Shared by every stream, so both partitions write it.
        view.collection('days').upsert(e.data.day, { $inc: { total: e.data.amount, count: 1 } })
      }
    }

    /** Passes calls through until the `crashAt`-th commit, which writes its documents only; then refuses everything, as a dead process would. */
    const dyingAt = (inner: DocumentStore, crashAt: number, onCrash: () => void): DocumentStore => {
      let commits = 0
      let dead = false
      return new Proxy(inner, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown
          if (typeof value !== 'function') return value
          return async (...args: unknown[]) => {
            if (dead) throw new Error('the process is dead')
            if (key === 'commit' && ++commits === crashAt) {
              await target.commit({ writes: (args[0] as CommitRequest).writes })
              dead = true
              onCrash()
              throw new Error('crashed before the checkpoint')
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      })
    }

    it('resumes from its checkpoint and applies every event exactly once', async () => {
      const eventStore = new InMemoryEventStore()
      const expected = new Map<string, number>()
      let total = 0
      for (let i = 0; i < 120; i++) {
        const data: Moved = { account: `${tag}-a${i % 9}`, amount: i + 1, day: `${tag}-d${i % 2}` }
        expected.set(data.account, (expected.get(data.account) ?? 0) + data.amount)
        total += data.amount
        await eventStore.appendToStream(`Acc-${i % 9}`, [{ type: 'Moved', data }])
      }
      const projection = projectionFromInstance(new Balances())
      const options = { eventStore, projection, stopAtHead: true, batchSize: 10, maxBatchWaitMs: 1, retry: { initialDelayMs: 1, maxDelayMs: 2 }, onError: () => {} }
      const partitions = [0, 1].map((index) => ({ index, count: 2 }))
      // Partition 0 dies at its 4th commit (its 3rd batch: the first commit records the projection's state).
      const dying: ProjectionWorker = new ProjectionWorker({
        ...options,
        partition: partitions[0]!,
        documents: dyingAt(store, 4, () => void dying.stop()),
      })

      await expect(dying.run()).rejects.toThrow('the process is dead')
      await new ProjectionWorker({ ...options, partition: partitions[1]!, documents: store }).run()
      const beforeResume = await store.readCheckpoint(checkpointName('crash-balances', 1, '0/2'))
      const written = await store.getMany(physicalCollection('balances', 1), [...expected.keys()])
      const appliedBeforeResume = [...written.values()].map((d) => BigInt(d.meta.positions['0/2'] ?? -1)).reduce((a, b) => (a > b ? a : b))
      const resumed = await new ProjectionWorker({ ...options, partition: partitions[0]!, documents: store }).run()

      const last = (await eventStore.headPosition())!
      expect(beforeResume).toBeDefined() // Two batches were checkpointed before the crash…
      expect(beforeResume!).toBeLessThan(last) // …and the third was not…
      expect(appliedBeforeResume).toBeGreaterThan(beforeResume!) // …though its documents were written.
      expect(resumed.checkpoint).toBe(last)
      const balances = await store.find(physicalCollection('balances', 1), { _id: { $regex: `^${tag}` } })
      expect(new Map(balances.map((d) => [d._id, d.balance]))).toEqual(expected)
      expect(balances.reduce((n, d) => n + (d.count as number), 0)).toBe(120)
      const dayDocs = await store.find(physicalCollection('days', 1), { _id: { $regex: `^${tag}` } })
      expect(dayDocs.reduce((n, d) => n + (d.total as number), 0)).toBe(total)
      expect(dayDocs.reduce((n, d) => n + (d.count as number), 0)).toBe(120)
    })
  })
})
