import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ObjectId, type CommandStartedEvent, type MongoClient } from 'mongodb'
import { SerializationError, StoreClosedError } from '@eventfold/core'
import {
  DocumentConflictError,
  DuplicateDocumentError,
  InvalidDocumentOperationError,
  type Document,
  type Documents,
  type Filter,
  type FindOptions,
} from '@eventfold/projections'
import { LEASE_COLLECTION, query, type DocumentWrite } from '@eventfold/projections/spi'
import { batchWrites } from '@eventfold/projections/testing'
import { describeMongo } from '../testing/connect'
import { CHECKPOINT_COLLECTION } from './checkpoints'
import { MongoDocumentStore } from './mongo-document-store'

const put = (collection: string, doc: Document, expectedRevision = 0, positions: Record<string, string> = {}): DocumentWrite => ({
  kind: 'put',
  collection,
  doc,
  meta: { revision: expectedRevision + 1, positions },
  expectedRevision,
})

describeMongo('MongoDocumentStore', (mongo) => {
  let store: MongoDocumentStore
  let coll: string
  const raw = (name = coll) => mongo().client.db(mongo().dbName).collection<Record<string, unknown> & { _id: string }>(name)

  /** Records, handles and commits one batch of partition `partition`, as a worker does. */
  const runBatch = async (partition: string, events: ReadonlyArray<readonly [bigint, (d: Documents) => void]>, target = store) => {
    const writes = await batchWrites(target, coll, events, { partition })
    return { writes, result: await target.commit({ writes }) }
  }

  beforeEach(async () => {
    store = new MongoDocumentStore(mongo().client, mongo().dbName)
    await store.ready()
    coll = `m${randomBytes(5).toString('hex')}`
  })

  afterEach(async () => {
    await store.close()
  })

  describe('the documents in MongoDB', () => {
    it('are the read model’s own fields at the top level, plus one bookkeeping field', async () => {
      await store.commit({ writes: [put(coll, { _id: 'a1', owner: 'Ann', balance: 5, address: { city: 'Oslo' } }, 0, { '0/4': '18446744073709551615' })] })

      expect(await raw().findOne({ _id: 'a1' })).toEqual({
        _id: 'a1',
        owner: 'Ann',
        balance: 5,
        address: { city: 'Oslo' },
        _ef: { rev: 1, pos: { '0/4': '18446744073709551615' }, commit: expect.any(ObjectId) },
      })
      // So applications query them directly.
      expect(await raw().countDocuments({ owner: 'Ann', 'address.city': 'Oslo' })).toBe(1)
    })

    it('adopts a document another program inserted, as revision 0 without positions', async () => {
      await raw().insertOne({ _id: 'x', n: 10 })

      expect((await store.getMany(coll, ['x'])).get('x')).toEqual({ doc: { _id: 'x', n: 10 }, meta: { revision: 0, positions: {} } })
      await runBatch('0/1', [[7n, (d) => d.update('x', { $inc: { n: 1 } })]])

      expect((await store.getMany(coll, ['x'])).get('x')).toEqual({ doc: { _id: 'x', n: 11 }, meta: { revision: 1, positions: { '0/1': '7' } } })
    })

    it('deletes a document another program inserted', async () => {
      await raw().insertOne({ _id: 'x', n: 10 })

      await runBatch('0/1', [[7n, (d) => d.delete('x')]])

      expect(await raw().countDocuments()).toBe(0)
    })

    it('stores a checkpoint as a zero-padded decimal string, exact beyond 2^64', async () => {
      const name = `${coll}:cp`
      await store.commit({ writes: [], checkpoint: { name, position: 90n } })
      expect(await raw(CHECKPOINT_COLLECTION).findOne({ _id: name })).toMatchObject({ position: '00000000000000000090', updatedAt: expect.any(Date) })

      await store.commit({ writes: [], checkpoint: { name, position: 2n ** 70n } })
      expect(await store.readCheckpoint(name)).toBe(2n ** 70n)
      await store.deleteCheckpoints([name])
    })

    it('leaves its checkpoint collection and system collections out of listCollections', async () => {
      await store.commit({ writes: [put(coll, { _id: 'a' })], checkpoint: { name: `${coll}:cp`, position: 1n } })

      const all = await store.listCollections()

      expect(all).toContain(coll)
      expect(all).not.toContain(CHECKPOINT_COLLECTION)
      expect(all.filter((c) => c.startsWith('system.'))).toEqual([])
      await store.deleteCheckpoints([`${coll}:cp`])
    })
  })

  describe('writes per commit', () => {
    const recording = async (): Promise<{ client: MongoClient; commands: CommandStartedEvent[] }> => {
      const client = await mongo().connect({ monitorCommands: true })
      const commands: CommandStartedEvent[] = []
      client.on('commandStarted', (e) => {
        if (['insert', 'update', 'delete'].includes(e.commandName)) commands.push(e)
      })
      return { client, commands }
    }
    const statements = (commands: readonly CommandStartedEvent[], collection: string) =>
      commands
        .filter((c) => c.command[c.commandName] === collection)
        .reduce((n, c) => n + ((c.command.updates ?? c.command.deletes ?? c.command.documents) as unknown[]).length, 0)

    it('sends one update command for a 1000-document commit (FerretDB: commands of a few statements), then one checkpoint write', async () => {
      const { client, commands } = await recording()
      const recorded = new MongoDocumentStore(client, mongo().dbName)
      const chunk = (await recorded.ready()).maxStatementsPerCommand ?? 1000
      const writes = Array.from({ length: 1000 }, (_, i) => put(coll, { _id: `d${i}`, i }))

      const result = await recorded.commit({ writes, checkpoint: { name: `${coll}:cp`, position: 1000n } })

      expect(result).toEqual({ writes: 1000 })
      const updates = commands.filter((c) => c.command[c.commandName] === coll)
      expect(updates.map((c) => c.commandName)).toEqual(Array(Math.ceil(1000 / chunk)).fill('update'))
      expect(Math.max(...updates.map((c) => (c.command.updates as unknown[]).length))).toBe(chunk)
      expect(statements(commands, coll)).toBe(1000)
      expect(statements(commands, CHECKPOINT_COLLECTION)).toBe(1)
      await store.deleteCheckpoints([`${coll}:cp`])
    })

    it('replaces 1000 documents in one commit (FerretDB hangs on one update command of 50 matching statements)', async () => {
      await store.commit({ writes: Array.from({ length: 1000 }, (_, i) => put(coll, { _id: `d${i}`, i })) })

      const result = await store.commit({ writes: Array.from({ length: 1000 }, (_, i) => put(coll, { _id: `d${i}`, i: -i }, 1)) })

      expect(result).toEqual({ writes: 1000 })
      expect(await store.count(coll, { i: { $lte: 0 } })).toBe(1000)
      expect(await mongo().client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 })
    }, 120_000)

    it('sends at most one statement per distinct document a batch touched, however many events touched it', async () => {
      const { client, commands } = await recording()
      const recorded = new MongoDocumentStore(client, mongo().dbName)
      await runBatch('0/1', [[1n, (d) => d.insert({ _id: 'gone', n: 0 })]], recorded)
      commands.length = 0
      const events = Array.from({ length: 300 }, (_, i) => [BigInt(i + 2), (d: Documents) => d.upsert(`acc-${i % 7}`, { $inc: { n: 1 } })] as const)

      const { writes, result } = await runBatch('0/1', [...events, [999n, (d) => d.delete('gone')]], recorded)

      expect(writes).toHaveLength(8)
      expect(result.writes).toBe(8)
      expect(statements(commands, coll)).toBe(8)
      expect(new Set(commands.filter((c) => c.command[c.commandName] === coll).map((c) => c.commandName))).toEqual(new Set(['delete', 'update']))
    })
  })

  describe('bad input', () => {
    it.each<[string, Document, new (...args: never[]) => Error]>([
      ['a document with the bookkeeping field', { _id: 'bad', _ef: { rev: 9 } }, InvalidDocumentOperationError],
      ['a top-level field starting with $', { _id: 'bad', $set: { a: 1 } }, InvalidDocumentOperationError],
      ['a BigInt value', { _id: 'bad', amount: 10n }, SerializationError],
      ['a NaN value', { _id: 'bad', ratio: Number.NaN }, SerializationError],
    ])('refuses %s before sending anything', async (_label, doc, errorClass) => {
      const commit = store.commit({ writes: [put(coll, { _id: 'good' }), put(coll, doc)], checkpoint: { name: `${coll}:cp`, position: 1n } })

      await expect(commit).rejects.toBeInstanceOf(errorClass)
      expect(await store.count(coll)).toBe(0)
      expect(await store.readCheckpoint(`${coll}:cp`)).toBeUndefined()
    })

    it('refuses a document with a nested $ key before the server sees it, naming it, and stores nothing of the commit', async () => {
      const commit = store.commit({ writes: [put(coll, { _id: 'good' }), put(coll, { _id: 'themed', settings: { $theme: 'dark' } })] })

      await expect(commit).rejects.toMatchObject({ type: 'invalid-document-operation', collection: coll, id: 'themed' })
      expect(await store.get(coll, 'good')).toBeUndefined()
      expect(await store.get(coll, 'themed')).toBeUndefined()
      expect(await store.get(coll, 'good')).toBeUndefined()
    })

    it('refuses a partition key that cannot be a field name', async () => {
      await expect(store.commit({ writes: [put(coll, { _id: 'a' }, 0, { 'p.1': '1' })] })).rejects.toBeInstanceOf(InvalidDocumentOperationError)
    })

    it('refuses a negative checkpoint position', async () => {
      await expect(store.commit({ writes: [put(coll, { _id: 'a' })], checkpoint: { name: `${coll}:cp`, position: -1n } })).rejects.toBeInstanceOf(
        InvalidDocumentOperationError,
      )
      expect(await store.count(coll)).toBe(0)
    })
  })

  describe('fenced commits', () => {
    it('write nothing, without transactions either, when the lease renewal they carry is stale', async () => {
      const key = `${coll}:lease`
      const lease = (expectedRevision: number): DocumentWrite => put(LEASE_COLLECTION, { _id: key, owner: 'me', expiresAt: 1 }, expectedRevision)
      await store.commit({ writes: [lease(0)] })
      await store.commit({ writes: [lease(1)] }) // Another process took the lease over.
      const zombie = new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false })

      const commit = zombie.commit({ writes: [put(coll, { _id: 'a' }), put(`${coll}_other`, { _id: 'b' })], checkpoint: { name: `${coll}:cp`, position: 5n }, fence: lease(1) })

      await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
      await expect(commit).rejects.toMatchObject({ collection: LEASE_COLLECTION, id: key, expectedRevision: 1, actualRevision: 2 })
      expect(await store.count(coll)).toBe(0)
      expect(await store.count(`${coll}_other`)).toBe(0)
      expect(await store.readCheckpoint(`${coll}:cp`)).toBeUndefined()
      await raw(LEASE_COLLECTION).deleteOne({ _id: key })
    })
  })

  describe('concurrent writers', () => {
    it('lets exactly one of many commits that expect the same revision win', async () => {
      await store.commit({ writes: [put(coll, { _id: 'x', n: 0 })] })

      const commits = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.commit({ writes: [put(coll, { _id: 'x', n: i + 1 }, 1)] })))

      const won = commits.filter((c) => c.status === 'fulfilled')
      const lost = commits.filter((c): c is PromiseRejectedResult => c.status === 'rejected').map((c) => c.reason)
      expect(won).toHaveLength(1)
      expect(lost).toHaveLength(11)
      for (const e of lost) {
        expect(e).toBeInstanceOf(DocumentConflictError)
        expect(e).toMatchObject({ id: 'x', expectedRevision: 1, actualRevision: 2 })
      }
      expect((await store.getMany(coll, ['x'])).get('x')?.meta.revision).toBe(2)
    })

    it('lets exactly one of many commits that create the same document win', async () => {
      const commits = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.commit({ writes: [put(coll, { _id: 'x', n: i })] })))

      expect(commits.filter((c) => c.status === 'fulfilled')).toHaveLength(1)
      for (const c of commits.filter((c): c is PromiseRejectedResult => c.status === 'rejected')) {
        expect(c.reason).toBeInstanceOf(DocumentConflictError)
        expect(c.reason).toMatchObject({ id: 'x', expectedRevision: 0, actualRevision: 1 })
      }
    })

    it('lets exactly one of many commits that take the same unique value win', async () => {
      await store.ensureIndexes([{ collection: coll, keys: { email: 1 }, unique: true }])

      const commits = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => store.commit({ writes: [put(coll, { _id: `u${i}`, email: 'ann@example.com' })] })),
      )

      expect(commits.filter((c) => c.status === 'fulfilled')).toHaveLength(1)
      for (const c of commits.filter((c): c is PromiseRejectedResult => c.status === 'rejected')) {
        expect(c.reason).toBeInstanceOf(DuplicateDocumentError)
      }
      expect(await store.count(coll)).toBe(1)
    })
  })

  describe('queries', () => {
    const accounts: Document[] = Array.from({ length: 40 }, (_, i) => ({
      _id: `a${String(i).padStart(2, '0')}`,
      balance: (i * 37) % 101,
      status: ['open', 'closed', 'frozen'][i % 3],
      limits: [{ kind: i % 2 ? 'daily' : 'monthly', amount: (i * 53) % 1000 }],
    }))

    beforeEach(async () => {
      await store.commit({ writes: accounts.map((a) => put(coll, a)) })
    })

    it.each<[string, Filter, FindOptions]>([
      ['$elemMatch with sort, skip and limit', { limits: { $elemMatch: { kind: 'daily', amount: { $gte: 300 } } } }, { sort: { balance: -1, _id: 1 }, skip: 2, limit: 5 }],
      ['$elemMatch and a server condition', { status: 'open', limits: { $elemMatch: { amount: { $lt: 500 } } } }, { sort: { _id: 1 } }],
      ['$elemMatch inside $or', { $or: [{ balance: { $lt: 10 } }, { limits: { $elemMatch: { kind: 'monthly', amount: { $gt: 900 } } } }] }, { sort: { _id: -1 }, limit: 3 }],
      ['a range with skip past the matches', { balance: { $gt: 50 } }, { sort: { _id: 1 }, skip: 100 }],
    ])('finds and counts as the reference semantics with %s', async (_label, filter, options) => {
      const expected = query(accounts, filter, options)

      expect(await store.find(coll, filter, options)).toEqual(expected)
      expect(await store.count(coll, filter)).toBe(query(accounts, filter).length)
    })

    it('streams documents from a cursor and stops reading when the loop breaks', async () => {
      const seen: string[] = []
      for await (const doc of store.stream(coll, { status: 'open' }, { sort: { _id: 1 } })) {
        seen.push(doc._id)
        if (seen.length === 3) break
      }

      expect(seen).toEqual(['a00', 'a03', 'a06'])
    })
  })

  describe('indexes', () => {
    it('names indexes as declared, or as MongoDB does by default', async () => {
      await store.ensureIndexes([
        { collection: coll, keys: { tenant: 1, email: -1 }, unique: true },
        { collection: coll, keys: { 'profile.handle': 1 }, name: 'by_handle' },
      ])

      const indexes = await raw().listIndexes().toArray()

      expect(indexes.map((i) => [i.name, i.key, i.unique ?? false]).sort()).toEqual([
        ['_id_', { _id: 1 }, false],
        ['by_handle', { 'profile.handle': 1 }, false],
        ['tenant_1_email_-1', { tenant: 1, email: -1 }, true],
      ])
    })

    it('refuses an index whose name is taken by other keys', async () => {
      await store.ensureIndexes([{ collection: coll, keys: { email: 1 }, name: 'contact' }])

      const ensuring = store.ensureIndexes([{ collection: coll, keys: { phone: 1 }, name: 'contact' }])

      await expect(ensuring).rejects.toBeInstanceOf(InvalidDocumentOperationError)
      await expect(ensuring).rejects.toMatchObject({ collection: coll })
    })

    it('refuses a unique index over values two documents share, naming one of them', async () => {
      await store.commit({ writes: [put(coll, { _id: 'u1', email: 'a' }), put(coll, { _id: 'u2', email: 'b' }), put(coll, { _id: 'u3', email: 'a' })] })

      const ensuring = store.ensureIndexes([{ collection: coll, keys: { email: 1 }, unique: true }])

      await expect(ensuring).rejects.toBeInstanceOf(DuplicateDocumentError)
      await expect(ensuring).rejects.toMatchObject({ collection: coll, id: 'u3' })
    })
  })

  describe('lifecycle', () => {
    it('refuses use after close, and closing twice is harmless', async () => {
      await store.close()
      await store.close()

      await expect(store.get(coll, 'a')).rejects.toBeInstanceOf(StoreClosedError)
      await expect(store.commit({ writes: [put(coll, { _id: 'a' })] })).rejects.toBeInstanceOf(StoreClosedError)
    })

    it('connects with a client of its own, detects the server, and closes the client with itself', async () => {
      const own = await MongoDocumentStore.connect(mongo().server.url, { dbName: mongo().dbName })

      expect(own.server).toMatchObject({ product: mongo().server.product })
      expect(own.capabilities.transactions).toBe(own.server!.transactions)
      await own.commit({ writes: [put(coll, { _id: 'a' })] })
      await own.close()

      await expect(own.find(coll)).rejects.toBeInstanceOf(StoreClosedError)
      expect(await store.get(coll, 'a')).toEqual({ _id: 'a' })
    })

    it('uses transactions only when told so or when the server runs them', async () => {
      const forced = new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false })
      expect(forced.capabilities.transactions).toBe(false)
      expect(store.capabilities.transactions).toBe(store.server!.transactions)
    })
  })
})
