import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import type { Document, Filter, FindOptions, UpdateSpec } from '../documents/document'
import { DocumentBatch, DocumentOperationError } from '../documents/document-batch'
import type { DocumentMeta, DocumentStore, DocumentWrite } from '../documents/document-store'
import type { Documents } from '../documents/documents'
import { DocumentConflictError, DuplicateDocumentError } from '../errors/errors'
import { ProjectionStates } from '../generations/projection-state'
import { defineProjection } from '../projection/projection-definition'
import { ReadModels } from '../read-models/read-models'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { ProjectionWorker } from '../worker/projection-worker'
import { LeaseLostError, Leases } from '../worker/leases'

/** What a contract factory returns: a ready store and how to dispose of what it used. */
export interface DocumentStoreUnderTest {
  readonly store: DocumentStore
  /** Runs after the store was closed, e.g. to delete its file. */
  readonly teardown?: () => Promise<void>
}

/** What a {@link documentStoreContract} factory returns: a store under test, and how outside tools read it. */
export interface DocumentStoreContractSubject extends DocumentStoreUnderTest {
  /**
   * Reads the read model published as `name` the way an outside tool does,
   * through the store's own client (raw SQL on the view, the driver on the
   * MongoDB view), as plain documents.
   */
  readonly readPublished: (name: string) => Promise<Document[]>
}

/** Options of {@link documentStoreContract}. */
export interface DocumentStoreContractOptions {
  /** Number of documents the bulk test writes in one commit. @default 1000 */
  readonly bulkSize?: number
}

/**
 * Registers the contract every {@link DocumentStore} must pass as jest tests.
 * The factory runs before each test and must return an open store; the suite
 * closes it after the test and then calls `teardown`.
 *
 * The store may be shared (one server for every test file): each test works
 * on collections and checkpoints whose names start with a random tag, and
 * removes them when it ends. Documents avoid what MongoDB-compatible servers
 * disagree on (nested arrays, `-0`, NaN, NUL characters, dotted keys).
 *
 * Atomicity is checked as the store's `capabilities.transactions` promises:
 * with transactions a failed commit writes nothing; without, it still fails
 * with the typed error and does not store its checkpoint.
 * @example
 * ```ts
 * documentStoreContract('InMemoryDocumentStore', async () => {
 *   const store = new InMemoryDocumentStore()
 *   return { store, readPublished: async (name) => store.find(store.publishedCollection(name) ?? name) }
 * })
 * ```
 */
export const documentStoreContract = (
  name: string,
  factory: () => Promise<DocumentStoreContractSubject>,
  { bulkSize = 1000 }: DocumentStoreContractOptions = {},
): void => {
  describe(`${name} (DocumentStore contract)`, () => {
    let store: DocumentStore
    let readPublished: (name: string) => Promise<Document[]>
    let teardown: (() => Promise<void>) | undefined
    /** Unique to the test: every collection and checkpoint it uses starts with it. */
    let tag: string

    const coll = (suffix = 'docs'): string => `${tag}_${suffix}`
    const checkpointName = (suffix = 'projection'): string => `${tag}:${suffix}`

    const meta = (revision = 1, positions: Record<string, string> = {}): DocumentMeta => ({ revision, positions })
    const put = (collection: string, doc: Document, expectedRevision = 0, written: DocumentMeta = meta(expectedRevision + 1)): DocumentWrite => ({
      kind: 'put',
      collection,
      doc,
      meta: written,
      expectedRevision,
    })
    const del = (collection: string, id: string, expectedRevision: number): DocumentWrite => ({ kind: 'delete', collection, id, expectedRevision })
    const seed = async (collection: string, docs: readonly Document[]): Promise<void> => {
      await store.commit({ writes: docs.map((d) => put(collection, d)) })
    }
    const revisionOf = async (collection: string, id: string): Promise<number | undefined> =>
      (await store.getMany(collection, [id])).get(id)?.meta.revision
    const idsOf = (docs: readonly Document[]): string[] => docs.map((d) => d._id)
    const sorted = (values: readonly string[]): string[] => [...values].sort()

    /** Runs one batch of partition `partition` as a worker does: record, collect, commit. */
    const runBatch = async (
      collection: string,
      partition: string,
      events: ReadonlyArray<readonly [position: bigint, handle: (docs: Documents) => void]>,
    ): Promise<DocumentWrite[]> => {
      const writes = await collectBatch(collection, partition, events)
      await store.commit({ writes })
      return writes
    }
    const collectBatch = async (
      collection: string,
      partition: string,
      events: ReadonlyArray<readonly [position: bigint, handle: (docs: Documents) => void]>,
    ): Promise<DocumentWrite[]> => {
      const batch = new DocumentBatch(store, (c) => c, partition, collection)
      for (const [position, handle] of events) {
        batch.setPosition(position)
        handle(batch.documents())
      }
      return batch.collectWrites()
    }

    beforeEach(async () => {
      const made = await factory()
      store = made.store
      readPublished = async (name) => [...(await made.readPublished(name))].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      teardown = made.teardown
      tag = `t${randomBytes(6).toString('hex')}`
    })

    afterEach(async () => {
      try {
        // Leave a shared server as it was found.
        for (const c of await store.listCollections(tag)) await store.dropCollection(c)
        await store.deleteCheckpoints([...(await store.listCheckpoints(tag)).keys()])
        await new ProjectionStates(store).remove(`${tag}-hits`)
      } finally {
        await store.close()
        await teardown?.()
      }
    })

    describe('writing and reading documents', () => {
      it.each<[string, unknown]>([
        ['a nested object', { owner: { name: 'Ann', address: { city: 'Oslo', zip: '0150' } } }],
        ['an array of scalars', ['a', 1, true, null]],
        ['an array of objects', [{ kind: 'daily', amount: 500 }, { kind: 'monthly', amount: 900 }]],
        ['an empty object', {}],
        ['an empty array', []],
        ['a positive integer', 42],
        ['a negative integer', -17],
        ['zero', 0],
        ['a negative float', -12.375],
        ['a float', 0.1],
        ['the largest safe integer', Number.MAX_SAFE_INTEGER],
        ['a string with non-ASCII characters', 'zürich ✓ 東京 🙂'],
        ['an empty string', ''],
        ['true', true],
        ['false', false],
        ['null', null],
      ])('round-trips %s', async (_label, value) => {
        const doc: Document = { _id: 'd1', value, other: 'kept' }
        await store.commit({ writes: [put(coll(), doc)] })

        expect(await store.get(coll(), 'd1')).toEqual(doc)
        expect((await store.getMany(coll(), ['d1'])).get('d1')?.doc).toEqual(doc)
        expect(await store.find(coll())).toEqual([doc])
      })

      it('round-trips the bookkeeping, with positions beyond 2^53 kept as exact decimal strings', async () => {
        const written = meta(7, { '0/4': '18446744073709551615', '3/4': '9007199254740993', 'dlq:x': '0' })
        await store.commit({ writes: [put(coll(), { _id: 'd1', n: 1 }, 0, written)] })

        const found = await store.getMany(coll(), ['d1'])

        expect(found.get('d1')).toEqual({ doc: { _id: 'd1', n: 1 }, meta: written })
      })

      it('returns documents without their bookkeeping from get and find', async () => {
        await store.commit({ writes: [put(coll(), { _id: 'd1', n: 1 }, 0, meta(3, { '0/1': '12' }))] })

        expect(await store.get(coll(), 'd1')).toEqual({ _id: 'd1', n: 1 })
        expect(await store.find(coll(), { _id: 'd1' })).toEqual([{ _id: 'd1', n: 1 }])
      })

      it('leaves missing ids out of the getMany map', async () => {
        await seed(coll(), [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }])

        const found = await store.getMany(coll(), ['a', 'missing', 'c'])

        expect(sorted([...found.keys()])).toEqual(['a', 'c'])
        expect(found.get('a')?.doc).toEqual({ _id: 'a' })
        expect(found.get('c')?.doc).toEqual({ _id: 'c' })
      })

      it('returns an empty map for no ids and for a collection that does not exist', async () => {
        await seed(coll(), [{ _id: 'a' }])

        expect((await store.getMany(coll(), [])).size).toBe(0)
        expect((await store.getMany(coll('missing'), ['a'])).size).toBe(0)
      })

      it('returns undefined for a missing document and a missing collection', async () => {
        await seed(coll(), [{ _id: 'a' }])

        expect(await store.get(coll(), 'b')).toBeUndefined()
        expect(await store.get(coll('missing'), 'a')).toBeUndefined()
      })

      it('keeps documents with the same id in different collections apart', async () => {
        await store.commit({ writes: [put(coll('a'), { _id: 'x', from: 'a' }), put(coll('b'), { _id: 'x', from: 'b' })] })

        expect(await store.get(coll('a'), 'x')).toEqual({ _id: 'x', from: 'a' })
        expect(await store.get(coll('b'), 'x')).toEqual({ _id: 'x', from: 'b' })
      })

      it('replaces the whole document on a put', async () => {
        await seed(coll(), [{ _id: 'a', old: 1, kept: 1 }])

        await store.commit({ writes: [put(coll(), { _id: 'a', kept: 2, added: true }, 1)] })

        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', kept: 2, added: true })
        expect(await revisionOf(coll(), 'a')).toBe(2)
      })

      it('is not affected by changes the caller makes to written or returned objects', async () => {
        const doc = { _id: 'a', items: ['x'], nested: { n: 1 } }
        await store.commit({ writes: [put(coll(), doc)] })
        doc.items.push('y')
        doc.nested.n = 2
        const read = (await store.get(coll(), 'a')) as unknown as { items: string[] }
        read.items.push('z')
        const [found] = (await store.find(coll())) as unknown as Array<{ nested: { n: number } }>
        found!.nested.n = 3

        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', items: ['x'], nested: { n: 1 } })
      })

      it('reports the number of writes a commit made', async () => {
        const result = await store.commit({ writes: [put(coll(), { _id: 'a' }), put(coll(), { _id: 'b' }), put(coll('other'), { _id: 'a' })] })

        expect(result).toEqual({ writes: 3 })
      })
    })

    describe('compare-and-set on the revision', () => {
      it('creates a missing document when the expected revision is 0', async () => {
        await store.commit({ writes: [put(coll(), { _id: 'a', n: 1 }, 0)] })

        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', n: 1 })
        expect(await revisionOf(coll(), 'a')).toBe(1)
      })

      it('rejects creating a document that already exists and keeps the stored one', async () => {
        await seed(coll(), [{ _id: 'a', n: 1 }])

        const commit = store.commit({ writes: [put(coll(), { _id: 'a', n: 2 }, 0)] })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'a', expectedRevision: 0, actualRevision: 1 })
        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', n: 1 })
      })

      it('replaces a document when the expected revision is the stored one', async () => {
        await seed(coll(), [{ _id: 'a', n: 1 }])
        await store.commit({ writes: [put(coll(), { _id: 'a', n: 2 }, 1)] })

        await store.commit({ writes: [put(coll(), { _id: 'a', n: 3 }, 2)] })

        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', n: 3 })
        expect(await revisionOf(coll(), 'a')).toBe(3)
      })

      it('rejects a put with a stale revision and keeps the stored document', async () => {
        await seed(coll(), [{ _id: 'a', n: 1 }])
        await store.commit({ writes: [put(coll(), { _id: 'a', n: 2 }, 1)] })

        const commit = store.commit({ writes: [put(coll(), { _id: 'a', n: 99 }, 1)] })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'a', expectedRevision: 1, actualRevision: 2 })
        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', n: 2 })
      })

      it('rejects a put that expects a revision of a document that does not exist', async () => {
        const commit = store.commit({ writes: [put(coll(), { _id: 'a', n: 1 }, 3)] })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'a', expectedRevision: 3, actualRevision: undefined })
        expect(await store.get(coll(), 'a')).toBeUndefined()
      })

      it('deletes a document when the expected revision is the stored one', async () => {
        await seed(coll(), [{ _id: 'a' }, { _id: 'b' }])

        await store.commit({ writes: [del(coll(), 'a', 1)] })

        expect(await store.get(coll(), 'a')).toBeUndefined()
        expect(idsOf(await store.find(coll()))).toEqual(['b'])
      })

      it('rejects a delete with a wrong revision and keeps the document', async () => {
        await seed(coll(), [{ _id: 'a', n: 1 }])

        const commit = store.commit({ writes: [del(coll(), 'a', 2)] })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'a', expectedRevision: 2, actualRevision: 1 })
        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a', n: 1 })
      })

      it('rejects a delete that expects a revision of a document that does not exist', async () => {
        const commit = store.commit({ writes: [del(coll(), 'a', 1)] })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'a', expectedRevision: 1, actualRevision: undefined })
      })
    })

    describe('checkpoints', () => {
      it('stores the checkpoint of a commit, with or without writes', async () => {
        await store.commit({ writes: [], checkpoint: { name: checkpointName('a'), position: 5n } })
        await store.commit({ writes: [put(coll(), { _id: 'x' })], checkpoint: { name: checkpointName('b'), position: 7n } })

        expect(await store.readCheckpoint(checkpointName('a'))).toBe(5n)
        expect(await store.readCheckpoint(checkpointName('b'))).toBe(7n)
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x' })
      })

      it('moves a checkpoint with every commit that carries it', async () => {
        await store.commit({ writes: [], checkpoint: { name: checkpointName(), position: 5n } })
        await store.commit({ writes: [], checkpoint: { name: checkpointName(), position: 90n } })

        expect(await store.readCheckpoint(checkpointName())).toBe(90n)
      })

      it('returns undefined for a checkpoint that was never stored', async () => {
        expect(await store.readCheckpoint(checkpointName('never'))).toBeUndefined()
      })

      it.each<[string, bigint]>([
        ['0', 0n],
        ['2^53 + 1', 2n ** 53n + 1n],
        ['2^62 + 7', 2n ** 62n + 7n],
        ['2^63 - 1', 2n ** 63n - 1n],
      ])('keeps the exact position %s', async (_label, position) => {
        await store.commit({ writes: [], checkpoint: { name: checkpointName(), position } })

        expect(await store.readCheckpoint(checkpointName())).toBe(position)
      })

      it('lists the checkpoints whose name starts with a prefix', async () => {
        for (const [suffix, position] of [['p:0/2', 3n], ['p:1/2', 2n ** 62n + 1n], ['q:0/1', 9n]] as const) {
          await store.commit({ writes: [], checkpoint: { name: checkpointName(suffix), position } })
        }

        expect(await store.listCheckpoints(checkpointName('p:'))).toEqual(
          new Map([
            [checkpointName('p:0/2'), 3n],
            [checkpointName('p:1/2'), 2n ** 62n + 1n],
          ]),
        )
        expect((await store.listCheckpoints(tag)).size).toBe(3)
        expect((await store.listCheckpoints(checkpointName('none:'))).size).toBe(0)
      })

      it('deletes the named checkpoints only, ignoring names that do not exist', async () => {
        for (const suffix of ['a', 'b', 'c']) await store.commit({ writes: [], checkpoint: { name: checkpointName(suffix), position: 1n } })

        await store.deleteCheckpoints([checkpointName('a'), checkpointName('c'), checkpointName('never')])
        await store.deleteCheckpoints([])

        expect(await store.readCheckpoint(checkpointName('a'))).toBeUndefined()
        expect(await store.readCheckpoint(checkpointName('c'))).toBeUndefined()
        expect(await store.listCheckpoints(tag)).toEqual(new Map([[checkpointName('b'), 1n]]))
      })
    })

    describe('a commit that conflicts', () => {
      it('is rejected without storing its checkpoint, and with transactions without any of its writes', async () => {
        await seed(coll(), [{ _id: 'taken', n: 1 }])

        const commit = store.commit({
          writes: [put(coll(), { _id: 'fresh' }), put(coll('other'), { _id: 'fresh' }), put(coll(), { _id: 'taken', n: 2 }, 0)],
          checkpoint: { name: checkpointName(), position: 10n },
        })

        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'taken', expectedRevision: 0, actualRevision: 1 })
        expect(await store.readCheckpoint(checkpointName())).toBeUndefined()
        expect(await store.get(coll(), 'taken')).toEqual({ _id: 'taken', n: 1 })
        if (store.capabilities.transactions) {
          expect(await store.get(coll(), 'fresh')).toBeUndefined()
          expect(await store.get(coll('other'), 'fresh')).toBeUndefined()
        }
      })

      it('leaves the previous checkpoint in place', async () => {
        await store.commit({ writes: [put(coll(), { _id: 'a' })], checkpoint: { name: checkpointName(), position: 5n } })

        const commit = store.commit({ writes: [put(coll(), { _id: 'a' }, 4)], checkpoint: { name: checkpointName(), position: 9n } })

        await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
        expect(await store.readCheckpoint(checkpointName())).toBe(5n)
      })

      it('writes nothing, with or without transactions, when its fence is stale', async () => {
        // The fence is a worker's lease renewal: another process has taken the lease over.
        await seed(coll('fences'), [{ _id: 'lease', owner: 'other' }])

        const commit = store.commit({
          writes: [put(coll(), { _id: 'a' }), put(coll('other'), { _id: 'b' })],
          checkpoint: { name: checkpointName(), position: 3n },
          fence: put(coll('fences'), { _id: 'lease', owner: 'me' }, 0),
        })

        await expect(commit).rejects.toMatchObject({ collection: coll('fences'), id: 'lease', expectedRevision: 0, actualRevision: 1 })
        expect(await store.get(coll(), 'a')).toBeUndefined()
        expect(await store.get(coll('other'), 'b')).toBeUndefined()
        expect(await store.readCheckpoint(checkpointName())).toBeUndefined()
        expect(await store.get(coll('fences'), 'lease')).toEqual({ _id: 'lease', owner: 'other' })
      })

      it('writes its fence with the commit, and counts only the other writes', async () => {
        const result = await store.commit({
          writes: [put(coll(), { _id: 'a' })],
          checkpoint: { name: checkpointName(), position: 4n },
          fence: put(coll('fences'), { _id: 'lease', owner: 'me' }, 0),
        })

        expect(result.writes).toBe(1)
        expect(await store.get(coll('fences'), 'lease')).toEqual({ _id: 'lease', owner: 'me' })
        expect(await store.get(coll(), 'a')).toEqual({ _id: 'a' })
        expect(await store.readCheckpoint(checkpointName())).toBe(4n)
        // A fence alone, with a checkpoint: what an idle worker commits.
        await store.commit({ writes: [], checkpoint: { name: checkpointName(), position: 5n }, fence: put(coll('fences'), { _id: 'lease', owner: 'me' }, 1) })
        expect(await store.readCheckpoint(checkpointName())).toBe(5n)
      })

      it('rejects a commit whose second delete conflicts, and with transactions keeps the first document', async () => {
        await seed(coll(), [{ _id: 'a' }, { _id: 'b' }])

        const commit = store.commit({ writes: [del(coll(), 'a', 1), del(coll(), 'b', 7)] })

        await expect(commit).rejects.toMatchObject({ id: 'b', expectedRevision: 7, actualRevision: 1 })
        if (store.capabilities.transactions) expect(await store.get(coll(), 'a')).toEqual({ _id: 'a' })
      })
    })

    describe('finding documents with MongoDB filters', () => {
      const accounts: readonly Document[] = [
        {
          _id: 'a1', owner: 'Ann', balance: 100, status: 'open', tags: ['vip', 'eu'],
          address: { city: 'Zürich', zip: '8001' }, limits: [{ kind: 'daily', amount: 500 }], closedAt: null,
        },
        { _id: 'a2', owner: 'Bob', balance: -20.5, status: 'open', tags: ['us'], address: { city: 'Boston', zip: '02101' }, limits: [] },
        { _id: 'a3', owner: 'Cid', balance: 0, status: 'closed', tags: [], address: { city: 'Zürich', zip: '8002' }, closedAt: '2024-01-01' },
        {
          _id: 'a4', owner: 'Dee', balance: 250, status: 'open', tags: ['vip'],
          address: { city: 'Paris' }, limits: [{ kind: 'daily', amount: 100 }, { kind: 'monthly', amount: 900 }],
        },
        { _id: 'a5', owner: 'Eve', balance: 100, status: 'frozen', address: { city: 'Boston' } },
      ]

      beforeEach(async () => {
        await seed(coll(), accounts)
      })

      it.each<[string, Filter, string[]]>([
        ['no filter', {}, ['a1', 'a2', 'a3', 'a4', 'a5']],
        ['equality on a string', { owner: 'Ann' }, ['a1']],
        ['equality on a number', { balance: 100 }, ['a1', 'a5']],
        ['$gt', { balance: { $gt: 0 } }, ['a1', 'a4', 'a5']],
        ['$gte', { balance: { $gte: 100 } }, ['a1', 'a4', 'a5']],
        ['$lt on a negative float', { balance: { $lt: 0 } }, ['a2']],
        ['$lte', { balance: { $lte: 0 } }, ['a2', 'a3']],
        ['$gt and $lt together', { balance: { $gt: 0, $lt: 200 } }, ['a1', 'a5']],
        ['$in', { status: { $in: ['closed', 'frozen'] } }, ['a3', 'a5']],
        ['$nin', { status: { $nin: ['open'] } }, ['a3', 'a5']],
        ['$ne', { status: { $ne: 'open' } }, ['a3', 'a5']],
        ['$exists: true (a null value exists)', { closedAt: { $exists: true } }, ['a1', 'a3']],
        ['$exists: false', { closedAt: { $exists: false } }, ['a2', 'a4', 'a5']],
        ['equality with null (null or missing)', { closedAt: null }, ['a1', 'a2', 'a4', 'a5']],
        ['a dotted path into a nested object', { 'address.city': 'Zürich' }, ['a1', 'a3']],
        ['$exists on a dotted path', { 'address.zip': { $exists: false } }, ['a4', 'a5']],
        ['equality with an array element', { tags: 'vip' }, ['a1', 'a4']],
        ['$in against array elements', { tags: { $in: ['us', 'eu'] } }, ['a1', 'a2']],
        ['$elemMatch on an array of objects', { limits: { $elemMatch: { kind: 'daily', amount: { $gte: 200 } } } }, ['a1']],
        ['$or', { $or: [{ owner: 'Ann' }, { balance: { $lt: 0 } }] }, ['a1', 'a2']],
        ['$and', { $and: [{ status: 'open' }, { balance: { $gte: 100 } }] }, ['a1', 'a4']],
        ['several fields (implicit and)', { status: 'open', 'address.city': 'Boston' }, ['a2']],
        ['_id', { _id: { $in: ['a2', 'a4', 'zz'] } }, ['a2', 'a4']],
        ['a filter nothing matches', { owner: 'Zed' }, []],
      ])('finds with %s', async (_label, filter, expected) => {
        expect(sorted(idsOf(await store.find(coll(), filter)))).toEqual(expected)
        expect(await store.count(coll(), filter)).toBe(expected.length)
      })

      it.each<[string, Filter, FindOptions, string[]]>([
        ['ascending with a tie-breaker', {}, { sort: { balance: 1, _id: 1 } }, ['a2', 'a3', 'a1', 'a5', 'a4']],
        ['descending with a tie-breaker', {}, { sort: { balance: -1, _id: -1 } }, ['a4', 'a5', 'a1', 'a3', 'a2']],
        ['by two keys in opposite directions', {}, { sort: { status: 1, balance: -1 } }, ['a3', 'a5', 'a4', 'a1', 'a2']],
        ['by a string, descending', {}, { sort: { owner: -1 } }, ['a5', 'a4', 'a3', 'a2', 'a1']],
        ['by a dotted path', { 'address.zip': { $exists: true } }, { sort: { 'address.zip': 1 } }, ['a2', 'a1', 'a3']],
        ['skipping', {}, { sort: { _id: 1 }, skip: 3 }, ['a4', 'a5']],
        ['limiting', {}, { sort: { _id: 1 }, limit: 2 }, ['a1', 'a2']],
        ['skipping and limiting', {}, { sort: { _id: 1 }, skip: 1, limit: 2 }, ['a2', 'a3']],
        ['filtering, sorting and limiting', { status: 'open' }, { sort: { balance: -1 }, limit: 2 }, ['a4', 'a1']],
        ['skipping past the end', {}, { sort: { _id: 1 }, skip: 10 }, []],
      ])('sorts and pages %s', async (_label, filter, options, expected) => {
        expect(idsOf(await store.find(coll(), filter, options))).toEqual(expected)
      })

      it('returns whole documents', async () => {
        expect(await store.find(coll(), { owner: { $in: ['Ann', 'Eve'] } }, { sort: { _id: 1 } })).toEqual([accounts[0], accounts[4]])
      })

      it('limits without sorting to the requested number of documents', async () => {
        const found = await store.find(coll(), { status: 'open' }, { limit: 2 })

        expect(found).toHaveLength(2)
        for (const d of found) expect(d.status).toBe('open')
      })

      it('counts every document without a filter', async () => {
        expect(await store.count(coll())).toBe(5)
      })

      it('finds nothing and counts 0 in a collection that does not exist', async () => {
        expect(await store.find(coll('missing'))).toEqual([])
        expect(await store.find(coll('missing'), { owner: 'Ann' }, { sort: { _id: 1 }, limit: 1 })).toEqual([])
        expect(await store.count(coll('missing'))).toBe(0)
        expect(await store.count(coll('missing'), { owner: 'Ann' })).toBe(0)
      })
    })

    describe('updates through a DocumentBatch', () => {
      it.each<[string, Record<string, unknown>, UpdateSpec, Record<string, unknown>]>([
        [
          '$set on top-level and dotted paths',
          { name: 'A', address: { city: 'Oslo' } },
          { $set: { name: 'B', 'address.zip': '0150', 'profile.level': 2 } },
          { name: 'B', address: { city: 'Oslo', zip: '0150' }, profile: { level: 2 } },
        ],
        [
          '$inc on existing and missing fields',
          { n: 1, nested: { f: 1.5 } },
          { $inc: { n: -3, 'nested.f': 0.25, fresh: 2 } },
          { n: -2, nested: { f: 1.75 }, fresh: 2 },
        ],
        [
          '$push to an existing and a missing array',
          { items: ['a'] },
          { $push: { items: 'b', fresh: { k: 1 } } },
          { items: ['a', 'b'], fresh: [{ k: 1 }] },
        ],
        [
          '$pull of every equal value',
          { items: ['a', 'b', 'a', 'c'], nums: [1, 2, 3] },
          { $pull: { items: 'a', nums: 2 } },
          { items: ['b', 'c'], nums: [1, 3] },
        ],
        [
          '$unset of top-level and dotted fields',
          { a: 1, b: 2, nested: { x: 1, y: 2 } },
          { $unset: { a: '', 'nested.x': '', missing: '' } },
          { b: 2, nested: { y: 2 } },
        ],
        ['$max', { hi: 5, same: 5 }, { $max: { hi: 9, same: 3, fresh: 1 } }, { hi: 9, same: 5, fresh: 1 }],
        ['$min', { lo: 5, same: 5 }, { $min: { lo: -2, same: 7, fresh: 1 } }, { lo: -2, same: 5, fresh: 1 }],
        [
          'several operators at once',
          { n: 1, items: ['a'], gone: true },
          { $inc: { n: 1 }, $push: { items: 'b' }, $unset: { gone: '' }, $set: { s: 'x' } },
          { n: 2, items: ['a', 'b'], s: 'x' },
        ],
        [
          '$setOnInsert on an existing document (ignored)',
          { created: 'first' },
          { $setOnInsert: { created: 'second' }, $set: { touched: true } },
          { created: 'first', touched: true },
        ],
      ])('applies %s to the stored document', async (_label, initial, update, expected) => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.insert({ _id: 'x', ...initial })]])

        await runBatch(coll(), '0/1', [[2n, (d) => d.upsert('x', update)]])

        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', ...expected })
      })

      it('applies $setOnInsert only when the upsert creates the document', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.upsert('x', { $setOnInsert: { createdAt: 'p1' }, $inc: { n: 1 } })]])
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', createdAt: 'p1', n: 1 })

        await runBatch(coll(), '0/1', [[2n, (d) => d.upsert('x', { $setOnInsert: { createdAt: 'p2' }, $inc: { n: 1 } })]])
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', createdAt: 'p1', n: 2 })
      })

      it('creates a document with an upsert of operators alone', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.upsert('x', { $inc: { n: 5 }, $push: { log: 'opened' }, $max: { hi: 3 } })]])

        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 5, log: ['opened'], hi: 3 })
      })

      it('does nothing for an update without upsert on a missing document', async () => {
        const writes = await runBatch(coll(), '0/1', [[1n, (d) => d.update('x', { $set: { n: 1 } })]])

        expect(writes).toEqual([])
        expect(await store.get(coll(), 'x')).toBeUndefined()
      })

      it('fails to insert a document that already exists, naming the event', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.insert({ _id: 'x', n: 1 })]])

        const collecting = collectBatch(coll(), '0/1', [[2n, (d) => d.insert({ _id: 'x', n: 2 })]])

        await expect(collecting).rejects.toBeInstanceOf(DocumentOperationError)
        await expect(collecting).rejects.toMatchObject({ position: 2n, collection: coll(), id: 'x', cause: expect.any(DuplicateDocumentError) })
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 1 })
      })

      it('replaces a document', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.insert({ _id: 'x', n: 1, old: true })]])

        await runBatch(coll(), '0/1', [[2n, (d) => d.replace('x', { n: 2 })]])

        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 2 })
      })

      it('deletes a document, and writes nothing to delete a missing one', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.insert({ _id: 'x', n: 1 })]])

        const deleting = await runBatch(coll(), '0/1', [[2n, (d) => d.delete('x')]])
        const again = await runBatch(coll(), '0/1', [[3n, (d) => d.delete('x')]])

        expect(deleting).toHaveLength(1)
        expect(again).toEqual([])
        expect(await store.get(coll(), 'x')).toBeUndefined()
        expect(await store.count(coll())).toBe(0)
      })

      it('coalesces the operations of many events into one write per document', async () => {
        const writes = await runBatch(coll(), '0/1', [
          [1n, (d) => d.insert({ _id: 'x', n: 0, log: [] })],
          [2n, (d) => d.update('x', { $inc: { n: 1 }, $push: { log: 2 } })],
          [3n, (d) => d.update('x', { $inc: { n: 1 }, $push: { log: 3 } })],
          [4n, (d) => d.collection(coll('other')).upsert('y', { $set: { seen: true } })],
        ])

        expect(writes).toHaveLength(2)
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 2, log: [2, 3] })
        expect(await store.get(coll('other'), 'y')).toEqual({ _id: 'y', seen: true })
      })

      it('records, per document, the revision and the position of the last event applied by the partition', async () => {
        await runBatch(coll(), '0/1', [[1n, (d) => d.upsert('x', { $inc: { n: 1 } })]])
        await runBatch(coll(), '0/1', [
          [4n, (d) => d.upsert('x', { $inc: { n: 1 } })],
          [2n ** 60n, (d) => d.upsert('x', { $inc: { n: 1 } })],
        ])

        expect((await store.getMany(coll(), ['x'])).get('x')).toEqual({
          doc: { _id: 'x', n: 3 },
          meta: { revision: 2, positions: { '0/1': (2n ** 60n).toString() } },
        })
      })

      it('writes nothing when a committed batch is redone with the same positions', async () => {
        const events: Array<readonly [bigint, (d: Documents) => void]> = [
          [1n, (d) => d.upsert('x', { $inc: { n: 1 }, $push: { log: 1 } })],
          [2n, (d) => d.upsert('x', { $inc: { n: 1 }, $push: { log: 2 } })],
          [3n, (d) => d.upsert('y', { $set: { seen: true } })],
        ]
        await runBatch(coll(), '0/1', events)
        const before = await store.getMany(coll(), ['x', 'y'])

        const redone = await runBatch(coll(), '0/1', events)

        expect(redone).toEqual([])
        expect(await store.getMany(coll(), ['x', 'y'])).toEqual(before)
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 2, log: [1, 2] })
      })

      it('applies only the events past the stored position when a batch is partly redone', async () => {
        await runBatch(coll(), '0/1', [
          [1n, (d) => d.upsert('x', { $inc: { n: 1 } })],
          [2n, (d) => d.upsert('x', { $inc: { n: 10 } })],
        ])

        await runBatch(coll(), '0/1', [
          [2n, (d) => d.upsert('x', { $inc: { n: 10 } })],
          [3n, (d) => d.upsert('x', { $inc: { n: 100 } })],
        ])

        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 111 })
      })

      it('applies the batches of two partitions to the same document, keeping a position for each', async () => {
        await runBatch(coll(), '0/2', [[10n, (d) => d.upsert('x', { $inc: { n: 1 }, $push: { from: '0/2' } })]])

        await runBatch(coll(), '1/2', [[7n, (d) => d.upsert('x', { $inc: { n: 10 }, $push: { from: '1/2' } })]])

        expect((await store.getMany(coll(), ['x'])).get('x')).toEqual({
          doc: { _id: 'x', n: 11, from: ['0/2', '1/2'] },
          meta: { revision: 2, positions: { '0/2': '10', '1/2': '7' } },
        })
      })

      it('rejects the second of two batches that read the same document before either committed', async () => {
        await runBatch(coll(), '0/2', [[1n, (d) => d.upsert('x', { $inc: { n: 1 } })]])
        const first = await collectBatch(coll(), '0/2', [[2n, (d) => d.upsert('x', { $inc: { n: 1 } })]])
        const second = await collectBatch(coll(), '1/2', [[3n, (d) => d.upsert('x', { $inc: { n: 10 } })]])

        await store.commit({ writes: first })
        const commit = store.commit({ writes: second, checkpoint: { name: checkpointName('1/2'), position: 3n } })

        await expect(commit).rejects.toMatchObject({ collection: coll(), id: 'x', expectedRevision: 1, actualRevision: 2 })
        expect(await store.get(coll(), 'x')).toEqual({ _id: 'x', n: 2 })
        expect(await store.readCheckpoint(checkpointName('1/2'))).toBeUndefined()
      })
    })

    describe('unique indexes', () => {
      const uniqueEmail = () => ({ collection: coll('users'), keys: { email: 1 }, unique: true }) as const

      it('can be ensured more than once', async () => {
        await store.ensureIndexes([uniqueEmail()])
        await store.ensureIndexes([uniqueEmail(), { collection: coll('users'), keys: { name: 1 } }])

        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }, { _id: 'u2', email: 'bob@example.com' }])

        expect(await store.count(coll('users'))).toBe(2)
      })

      it('rejects a commit that stores a value another document already has, without storing its checkpoint', async () => {
        await store.ensureIndexes([uniqueEmail()])
        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }])

        const commit = store.commit({
          writes: [put(coll('users'), { _id: 'u2', email: 'ann@example.com' })],
          checkpoint: { name: checkpointName(), position: 3n },
        })

        await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
        await expect(commit).rejects.toMatchObject({ collection: coll('users') })
        expect(await store.get(coll('users'), 'u2')).toBeUndefined()
        expect(await store.readCheckpoint(checkpointName())).toBeUndefined()
      })

      it('rejects a commit that stores the same value twice, and with transactions writes none of it', async () => {
        await store.ensureIndexes([uniqueEmail()])

        const commit = store.commit({
          writes: [
            put(coll('users'), { _id: 'u0', email: 'zed@example.com' }),
            put(coll('users'), { _id: 'u1', email: 'ann@example.com' }),
            put(coll('users'), { _id: 'u2', email: 'ann@example.com' }),
          ],
          checkpoint: { name: checkpointName(), position: 3n },
        })

        await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
        await expect(commit).rejects.toMatchObject({ collection: coll('users') })
        expect(await store.readCheckpoint(checkpointName())).toBeUndefined()
        if (store.capabilities.transactions) expect(await store.count(coll('users'))).toBe(0)
      })

      it('rejects an update that takes another document’s value', async () => {
        await store.ensureIndexes([uniqueEmail()])
        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }, { _id: 'u2', email: 'bob@example.com' }])

        const commit = runBatch(coll('users'), '0/1', [[1n, (d) => d.update('u2', { $set: { email: 'ann@example.com' } })]])

        await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
        expect(await store.get(coll('users'), 'u2')).toEqual({ _id: 'u2', email: 'bob@example.com' })
      })

      it('accepts distinct values, a changed value, and a value freed by an earlier delete in the same commit', async () => {
        await store.ensureIndexes([uniqueEmail()])
        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }, { _id: 'u2', email: 'bob@example.com' }])

        await store.commit({
          writes: [put(coll('users'), { _id: 'u2', email: 'bobby@example.com' }, 1), put(coll('users'), { _id: 'u3', email: 'bob@example.com' })],
        })
        await store.commit({ writes: [del(coll('users'), 'u1', 1), put(coll('users'), { _id: 'u4', email: 'ann@example.com' })] })

        expect(sorted(idsOf(await store.find(coll('users'))))).toEqual(['u2', 'u3', 'u4'])
      })

      it('applies to its own collection only', async () => {
        await store.ensureIndexes([uniqueEmail()])

        await store.commit({
          writes: [
            put(coll('users'), { _id: 'u1', email: 'ann@example.com' }),
            put(coll('admins'), { _id: 'u1', email: 'ann@example.com' }),
            put(coll('admins'), { _id: 'u2', email: 'ann@example.com' }),
          ],
        })

        expect(await store.count(coll('admins'))).toBe(2)
      })

      it('enforces a compound index on the combination of its keys', async () => {
        await store.ensureIndexes([{ collection: coll('users'), keys: { tenant: 1, email: 1 }, unique: true }])
        await seed(coll('users'), [
          { _id: 'u1', tenant: 'acme', email: 'ann@example.com' },
          { _id: 'u2', tenant: 'globex', email: 'ann@example.com' },
        ])

        const commit = store.commit({ writes: [put(coll('users'), { _id: 'u3', tenant: 'acme', email: 'ann@example.com' })] })

        await expect(commit).rejects.toMatchObject({ collection: coll('users') })
        await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
      })

      it('enforces an index on a dotted path', async () => {
        await store.ensureIndexes([{ collection: coll('users'), keys: { 'profile.handle': 1 }, unique: true }])
        await seed(coll('users'), [{ _id: 'u1', profile: { handle: 'ann' } }, { _id: 'u2', profile: { handle: 'bob' } }])

        const commit = store.commit({ writes: [put(coll('users'), { _id: 'u3', profile: { handle: 'ann' } })] })

        await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
      })

      it('is removed with its collection', async () => {
        await store.ensureIndexes([uniqueEmail()])
        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }])

        await store.dropCollection(coll('users'))
        await seed(coll('users'), [{ _id: 'u1', email: 'ann@example.com' }, { _id: 'u2', email: 'ann@example.com' }])

        expect(await store.count(coll('users'))).toBe(2)
      })
    })

    describe('collections', () => {
      it('lists the collections whose name starts with a prefix', async () => {
        await store.commit({
          writes: [put(coll('b'), { _id: 'x' }), put(coll('a'), { _id: 'x' }), put(coll('a'), { _id: 'y' }), put(`${tag}-other`, { _id: 'x' })],
        })

        expect(sorted(await store.listCollections(`${tag}_`))).toEqual([coll('a'), coll('b')])
        expect(sorted(await store.listCollections(tag))).toEqual(sorted([coll('a'), coll('b'), `${tag}-other`]))
        expect(await store.listCollections(`${tag}_none`)).toEqual([])
      })

      it('lists every collection without a prefix', async () => {
        await seed(coll('a'), [{ _id: 'x' }])

        expect(await store.listCollections()).toContain(coll('a'))
      })

      it('drops a collection with its documents and leaves the others', async () => {
        await store.commit({ writes: [put(coll('a'), { _id: 'x' }), put(coll('a'), { _id: 'y' }), put(coll('b'), { _id: 'x' })] })

        await store.dropCollection(coll('a'))

        expect(await store.find(coll('a'))).toEqual([])
        expect(await store.count(coll('a'))).toBe(0)
        expect(await store.get(coll('a'), 'x')).toBeUndefined()
        expect(await store.listCollections(tag)).toEqual([coll('b')])
        expect(await store.get(coll('b'), 'x')).toEqual({ _id: 'x' })
      })

      it('starts a dropped collection afresh', async () => {
        await seed(coll('a'), [{ _id: 'x', n: 1 }])
        await store.dropCollection(coll('a'))

        await store.commit({ writes: [put(coll('a'), { _id: 'x', n: 2 }, 0)] })

        expect(await store.get(coll('a'), 'x')).toEqual({ _id: 'x', n: 2 })
        expect(await revisionOf(coll('a'), 'x')).toBe(1)
      })

      it('drops a collection that does not exist without an error', async () => {
        await expect(store.dropCollection(coll('missing'))).resolves.toBeUndefined()
      })
    })

    describe('read models published under their declared names', () => {
      it('shows a collection under a published name, live, to the store\'s own client', async () => {
        await store.commit({ writes: [put(coll('a__1'), { _id: 'x', n: 1 })], publish: [{ name: coll('a'), collection: coll('a__1') }] })
        expect(await readPublished(coll('a'))).toEqual([{ _id: 'x', n: 1 }])

        await store.commit({ writes: [put(coll('a__1'), { _id: 'y', n: 2 })] })
        expect(await readPublished(coll('a'))).toEqual([{ _id: 'x', n: 1 }, { _id: 'y', n: 2 }])
      })

      it('moves a published name to another collection, also in a commit without writes', async () => {
        await store.commit({ writes: [put(coll('a__1'), { _id: 'x' }), put(coll('a__2'), { _id: 'y' })], publish: [{ name: coll('a'), collection: coll('a__1') }] })
        await store.commit({ writes: [], publish: [{ name: coll('a'), collection: coll('a__2') }] })
        expect(await readPublished(coll('a'))).toEqual([{ _id: 'y' }])

        await store.commit({ writes: [], publish: [{ name: coll('a'), collection: coll('a__2') }] })
        expect(await readPublished(coll('a'))).toEqual([{ _id: 'y' }])
      })

      it('keeps the published name where it was when a commit with transactions fails', async () => {
        if (!store.capabilities.transactions) return
        await store.commit({ writes: [put(coll('a__1'), { _id: 'x' }), put(coll('a__2'), { _id: 'y' })], publish: [{ name: coll('a'), collection: coll('a__1') }] })
        await expect(
          store.commit({ writes: [put(coll('a__2'), { _id: 'y' }, 7)], publish: [{ name: coll('a'), collection: coll('a__2') }] }),
        ).rejects.toBeInstanceOf(DocumentConflictError)
        expect(await readPublished(coll('a'))).toEqual([{ _id: 'x' }])
      })

      it('serves a rebuilt projection by its declared name, through ReadModels and the store\'s own client', async () => {
        const eventStore = new InMemoryEventStore()
        for (const key of ['a', 'b', 'a']) await eventStore.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])
        let by = 1
        const projection = defineProjection({
          name: `${tag}-hits`,
          collections: [coll('hits')],
          handlers: { Hit: (e: RecordedEvent<{ key: string }>, view: Documents) => view.upsert(e.data.key, { $inc: { n: by } }) },
        })
        await new ProjectionWorker({ eventStore, documents: store, projection, stopAtHead: true }).run()
        const hits = new ReadModels(store).collection(coll('hits'))
        expect(await hits.find({}, { sort: { _id: 1 } })).toEqual([{ _id: 'a', n: 2 }, { _id: 'b', n: 1 }])
        expect(await readPublished(coll('hits'))).toEqual([{ _id: 'a', n: 2 }, { _id: 'b', n: 1 }])

        by = 10
        const rebuilt = await rebuildProjection({ eventStore, documents: store, projection })
        expect(rebuilt).toMatchObject({ generation: 2, previousGeneration: 1, completed: true })
        expect(await hits.find({}, { sort: { _id: 1 } })).toEqual([{ _id: 'a', n: 20 }, { _id: 'b', n: 10 }])
        expect(await hits.get('a')).toEqual({ _id: 'a', n: 20 })
        expect(await hits.count()).toBe(2)
        expect(await readPublished(coll('hits'))).toEqual([{ _id: 'a', n: 20 }, { _id: 'b', n: 10 }])

        // A live worker after the switch writes into what the name shows.
        await eventStore.appendToStream('K-c', [{ type: 'Hit', data: { key: 'c' } }])
        await new ProjectionWorker({ eventStore, documents: store, projection, stopAtHead: true }).run()
        expect(await readPublished(coll('hits'))).toEqual([{ _id: 'a', n: 20 }, { _id: 'b', n: 10 }, { _id: 'c', n: 10 }])
        expect(await hits.get('c')).toEqual({ _id: 'c', n: 10 })
      })

      it('publishes the active generation again when a worker starts, healing a switch whose publishing was lost', async () => {
        const eventStore = new InMemoryEventStore()
        await eventStore.appendToStream('K-a', [{ type: 'Hit', data: { key: 'a' } }])
        const projection = defineProjection({
          name: `${tag}-hits`,
          collections: [coll('hits')],
          handlers: { Hit: (e: RecordedEvent<{ key: string }>, view: Documents) => view.upsert(e.data.key, { $inc: { n: 1 } }) },
        })
        await new ProjectionWorker({ eventStore, documents: store, projection, stopAtHead: true }).run()
        await rebuildProjection({ eventStore, documents: store, projection })
        // As a crash after the state said generation 2 and before the name moved (a store without transactions).
        await store.commit({ writes: [], publish: [{ name: coll('hits'), collection: coll('hits__1') }] })
        expect(await readPublished(coll('hits'))).toEqual([])

        await new ProjectionWorker({ eventStore, documents: store, projection, stopAtHead: true }).run()
        expect(await readPublished(coll('hits'))).toEqual([{ _id: 'a', n: 1 }])
      })
    })

    describe('an exclusive rebuild', () => {
      /** A projection whose handler, while `gate` is set, reports `held` and waits for the gate: a rebuild held mid-run. */
      const heldProjection = () => {
        let held!: () => void
        const control = { gate: undefined as Promise<void> | undefined, open: () => {}, held: new Promise<void>((r) => (held = r)) }
        control.gate = new Promise<void>((r) => (control.open = r))
        const projection = defineProjection({
          name: `${tag}-hits`,
          collections: [coll('hits')],
          handlers: {
            Hit: async (e: RecordedEvent<{ key: string }>, view: Documents) => {
              if (control.gate) {
                held()
                await control.gate
              }
              view.upsert(e.data.key, { $inc: { n: 1 } })
            },
          },
        })
        return { projection, control }
      }
      const seeded = async () => {
        const eventStore = new InMemoryEventStore()
        for (const key of ['a', 'b']) await eventStore.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])
        return eventStore
      }

      it('refuses a second rebuild of the projection while the first runs, naming the projection and the owner', async () => {
        const eventStore = await seeded()
        const { projection, control } = heldProjection()
        const first = rebuildProjection({ eventStore, documents: store, projection, owner: 'first' })
        await control.held

        await expect(rebuildProjection({ eventStore, documents: store, projection, owner: 'second' })).rejects.toMatchObject({
          type: 'rebuild-owned',
          projection: projection.name,
          owner: 'first',
        })
        control.open()
        await expect(first).resolves.toMatchObject({ generation: 1, completed: true })
        // Released at the end: the next rebuild starts at once.
        await expect(rebuildProjection({ eventStore, documents: store, projection, owner: 'second' })).resolves.toMatchObject({ generation: 2, completed: true })
      })

      it('lets a rebuild whose lease expired be taken over, and the owner that lost it neither commits nor switches', async () => {
        const eventStore = await seeded()
        const { projection, control } = heldProjection()
        const first = rebuildProjection({ eventStore, documents: store, projection, owner: 'first' })
        await control.held

        // What another process sees once the first stopped renewing: the lease has expired, and it takes it.
        const later = Date.now() + 60_000
        expect(await new Leases(store, 'second', 10_000).tryAcquire(`rebuild/${projection.name}`, later)).toMatchObject({ owner: 'second' })
        control.open()

        await expect(first).rejects.toBeInstanceOf(LeaseLostError)
        const state = await new ProjectionStates(store).get(projection.name)
        expect(state).toMatchObject({ generation: 0, rebuilding: { generation: 1 } })
        expect(await store.find(coll('hits__1'), {})).toEqual([])
      })
    })

    describe('bulk writes', () => {
      it(`stores ${bulkSize} documents in one commit and finds them all`, async () => {
        const ids = Array.from({ length: bulkSize }, (_, i) => `doc-${String(i).padStart(6, '0')}`)
        const writes = ids.map((id, i) => put(coll(), { _id: id, i, even: i % 2 === 0, payload: { text: `document ${i}`, tags: ['a', 'b'] } }))

        const result = await store.commit({ writes, checkpoint: { name: checkpointName(), position: BigInt(bulkSize) } })

        expect(result).toEqual({ writes: bulkSize })
        expect(await store.count(coll())).toBe(bulkSize)
        expect(await store.count(coll(), { even: true })).toBe(Math.ceil(bulkSize / 2))
        expect(idsOf(await store.find(coll(), {}, { sort: { _id: 1 } }))).toEqual(ids)
        expect((await store.getMany(coll(), ids)).size).toBe(bulkSize)
        expect(await store.readCheckpoint(checkpointName())).toBe(BigInt(bulkSize))
      })
    })
  })
}
