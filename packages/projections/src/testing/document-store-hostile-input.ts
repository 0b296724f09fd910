import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { MAX_JSON_DEPTH, MAX_NAME_BYTES } from '@eventfold/core'
import type { Document, Filter } from '../documents/document'
import { DocumentBatch } from '../documents/document-batch'
import { MAX_COLLECTION_NAME_BYTES } from '../documents/document-input'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import type { DocumentStoreUnderTest } from './document-store-contract'

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf'
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { v }
  return v
}

/** An object with an own `__proto__` key, as `JSON.parse` makes it from request bodies. */
const withOwnProto = (rest: Record<string, unknown>, proto: unknown): Record<string, unknown> =>
  Object.assign(JSON.parse(`{"__proto__": ${JSON.stringify(proto)}}`) as Record<string, unknown>, rest)

/** What every object inherits, to check that nothing hostile reached it. */
const prototypeKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort()

/**
 * Registers the hostile-input suite every {@link DocumentStore} must pass:
 * what a projection handler may pass on from event data (objects as ids,
 * `$` and `__proto__` keys, NUL, control and bidi characters, deep nesting,
 * oversize names) either round-trips exactly or is refused with an
 * `InvalidDocumentOperationError`, the same on every store, and
 * `Object.prototype` is untouched afterwards.
 * @example
 * ```ts
 * documentStoreHostileInput('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
 * ```
 */
export const documentStoreHostileInput = (name: string, factory: () => Promise<DocumentStoreUnderTest>): void => {
  describe(`${name} (DocumentStore hostile input)`, () => {
    let store: DocumentStore
    let teardown: (() => Promise<void>) | undefined
    let tag: string
    let before: string[]
    const coll = (suffix = 'docs'): string => `${tag}_${suffix}`
    const put = (collection: string, doc: Document): DocumentWrite => ({
      kind: 'put',
      collection,
      doc,
      meta: { revision: 1, positions: {} },
      expectedRevision: 0,
    })
    const refused = { type: 'invalid-document-operation' }

    beforeEach(async () => {
      before = prototypeKeys()
      tag = `h${randomBytes(4).toString('hex')}`
      ;({ store, teardown } = await factory())
      await store.commit({ writes: [put(coll(), { _id: 'alice', secret: 'a' }), put(coll(), { _id: 'bob', secret: 'b' })] })
    })
    afterEach(async () => {
      try {
        for (const c of await store.listCollections(tag)) await store.dropCollection(c)
        await store.close()
        await teardown?.()
      } finally {
        expect(prototypeKeys()).toEqual(before)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }
    })

    describe('ids that are not strings are refused, never turned into a query', () => {
      const ids: ReadonlyArray<readonly [string, unknown]> = [
        ['$ne', { $ne: 'nobody' }],
        ['$gt', { $gt: '' }],
        ['$regex', { $regex: '.*' }],
        ['an array', ['alice']],
        ['a number', 1],
        ['null', null],
        ['an empty string', ''],
      ]
      it.each(ids)('get with %s', async (_, id) => {
        await expect(store.get(coll(), id as string)).rejects.toMatchObject(refused)
      })
      it.each(ids)('getMany with %s', async (_, id) => {
        await expect(store.getMany(coll(), [id as string])).rejects.toMatchObject(refused)
      })
      it.each(ids)('a delete of %s', async (_, id) => {
        await expect(store.commit({ writes: [{ kind: 'delete', collection: coll(), id: id as string, expectedRevision: 1 }] })).rejects.toMatchObject(refused)
        expect(await store.count(coll())).toBe(2)
      })
      it.each(ids)('the Documents handle with %s', async (_, id) => {
        const view = new DocumentBatch(store, (c) => c, '0/1', coll()).documents()
        await expect(view.get(id as string)).rejects.toMatchObject(refused)
        expect(() => view.update(id as string, { $set: { secret: 'x' } })).toThrow(expect.objectContaining(refused))
        expect(() => view.delete(id as string)).toThrow(expect.objectContaining(refused))
      })
    })

    describe('names and ids', () => {
      it.each([
        ['NUL', 'a\0b'],
        [`over ${MAX_NAME_BYTES} bytes`, 'é'.repeat(MAX_NAME_BYTES / 2 + 1)],
      ])('refuses a document id with %s', async (_, id) => {
        await expect(store.commit({ writes: [put(coll(), { _id: id })] })).rejects.toMatchObject(refused)
        await expect(store.get(coll(), id)).rejects.toMatchObject(refused)
      })

      it.each([
        ['NUL', (c: string) => `${c}\0x`],
        ['$', (c: string) => `${c}$x`],
        [`over ${MAX_COLLECTION_NAME_BYTES} bytes`, (c: string) => `${c}${'x'.repeat(MAX_COLLECTION_NAME_BYTES)}`],
      ])('refuses a collection name with %s', async (_, collection) => {
        await expect(store.commit({ writes: [put(collection(coll()), { _id: 'a' })] })).rejects.toMatchObject(refused)
        await expect(store.get(collection(coll()), 'a')).rejects.toMatchObject(refused)
        await expect(store.find(collection(coll()))).rejects.toMatchObject(refused)
      })

      it('refuses a collection prefix with NUL', async () => {
        await expect(store.listCollections(`${tag}\0`)).rejects.toMatchObject(refused)
      })

      it('keeps control and bidi characters in ids and collection names as they are', async () => {
        const collection = coll('\u0001\u202e\u2066')
        const id = 'id\u0007\u202e\u200f\t'
        await store.commit({ writes: [put(collection, { _id: id, v: 1 })] })
        expect(await store.get(collection, id)).toEqual({ _id: id, v: 1 })
        expect(await store.listCollections(tag)).toContain(collection)
      })

      it(`keeps an id of ${MAX_NAME_BYTES} bytes`, async () => {
        const id = 'i'.repeat(MAX_NAME_BYTES)
        await store.commit({ writes: [put(coll(), { _id: id })] })
        expect(await store.get(coll(), id)).toEqual({ _id: id })
      })
    })

    describe('checkpoint names', () => {
      it.each([
        ['NUL', 'proj\0ection'],
        [`over ${MAX_NAME_BYTES} bytes`, 'é'.repeat(MAX_NAME_BYTES / 2 + 1)],
        ['an empty name', ''],
      ])('refuses a checkpoint name with %s', async (_, name) => {
        const invalid = { type: 'validation' }
        await expect(store.commit({ writes: [put(coll(), { _id: 'c' })], checkpoint: { name, position: 1n } })).rejects.toMatchObject(invalid)
        expect(await store.count(coll())).toBe(2)
        await expect(store.readCheckpoint(name)).rejects.toMatchObject(invalid)
        await expect(store.deleteCheckpoints([name])).rejects.toMatchObject(invalid)
      })

      it('refuses a checkpoint prefix with NUL, and keeps control and bidi characters in names', async () => {
        await expect(store.listCheckpoints(`${tag}\0`)).rejects.toMatchObject({ type: 'validation' })
        const name = `${tag}:\u0001\u202e`
        await store.commit({ writes: [], checkpoint: { name, position: 7n } })
        expect(await store.readCheckpoint(name)).toBe(7n)
        expect(await store.listCheckpoints(tag)).toEqual(new Map([[name, 7n]]))
        await store.deleteCheckpoints([name])
      })
    })

    describe('document bodies', () => {
      it('round-trips control, bidi and astral characters and nesting to the limit', async () => {
        const doc = { _id: 'c', text: '\u0001\u001f\u007f \u202e\u2066\u200f 😀 \\u0000', deep: nested(MAX_JSON_DEPTH - 1), 'k\u202e': 1 }
        await store.commit({ writes: [put(coll(), doc)] })
        expect(await store.get(coll(), 'c')).toEqual(doc)
      })

      it.each<readonly [string, Document]>([
        ['a $-prefixed field', { _id: 'x', $where: 'sleep(1000)' }],
        ['a nested $-prefixed field', { _id: 'x', a: { $ne: 1 } }],
        ['an own __proto__ field', withOwnProto({ _id: 'x' }, { polluted: true }) as Document],
        ['a constructor field', { _id: 'x', a: { constructor: { prototype: { polluted: true } } } }],
        ['a NUL in a field name', { _id: 'x', ['a\0b']: 1 }],
        ['a NUL in a string', { _id: 'x', s: 'a\0b' }],
        ['a lone surrogate', { _id: 'x', s: 'a\uD800' }],
        ['nesting over the limit', { _id: 'x', deep: nested(MAX_JSON_DEPTH) }],
        ['nesting 100,000 levels deep', { _id: 'x', deep: nested(100_000) }],
      ])('refuses %s with a typed error and writes nothing', async (_, doc) => {
        await expect(store.commit({ writes: [put(coll(), { _id: 'y' }), put(coll(), doc)] })).rejects.toMatchObject(refused)
        expect(await store.count(coll())).toBe(2)
        const view = new DocumentBatch(store, (c) => c, '0/1', coll()).documents()
        expect(() => view.insert(doc)).toThrow(expect.objectContaining(refused))
        expect(() => view.replace('x', doc)).toThrow(expect.objectContaining(refused))
      })
    })

    describe('filters and update specs', () => {
      it.each<readonly [string, Filter]>([
        ['an own __proto__ key', withOwnProto({}, { secret: 'a' })],
        ['a constructor path', { constructor: { $exists: true } }],
        ['a prototype path segment', { 'a.prototype': 1 }],
        ['a NUL in a path', { ['sec\0ret']: 'a' }],
        ['nesting 100,000 levels deep', { secret: { $in: [nested(100_000)] } }],
      ])('refuses a filter with %s, the same on every store', async (_, filter) => {
        await expect(store.find(coll(), filter)).rejects.toMatchObject(refused)
        await expect(store.count(coll(), filter)).rejects.toMatchObject(refused)
        const view = new DocumentBatch(store, (c) => c, '0/1', coll()).documents()
        await expect(view.find(filter)).rejects.toMatchObject(refused)
      })

      it('matches strings with control and bidi characters exactly', async () => {
        await store.commit({ writes: [put(coll(), { _id: 'z', s: 'a\u202eb\u0001' })] })
        expect((await store.find(coll(), { s: 'a\u202eb\u0001' })).map((d) => d._id)).toEqual(['z'])
        // No document can hold NUL: a filter with it is refused rather than sent.
        await expect(store.find(coll(), { s: 'a\0b' })).rejects.toMatchObject(refused)
      })

      it.each<readonly [string, object]>([
        ['$set of an own __proto__ key', { $set: withOwnProto({}, { polluted: true }) }],
        ['$set of a value with an own __proto__ key', { $set: { profile: withOwnProto({ name: 'x' }, { polluted: true }) } }],
        ['$set of a constructor path', { $set: { 'constructor.prototype.polluted': true } }],
        ['$set of a __proto__ path', { $set: { '__proto__.polluted': true } }],
        ['$set of a value with a $ key', { $set: { a: { $ne: 1 } } }],
        ['$set of a $ path segment', { $set: { 'a.$x': 1 } }],
        ['$push of a NUL string', { $push: { tags: 'a\0' } }],
        ['$set nested 100,000 levels deep', { $set: { a: nested(100_000) } }],
      ])('refuses an update with %s at the Documents handle', (_, spec) => {
        const view = new DocumentBatch(store, (c) => c, '0/1', coll()).documents()
        expect(() => view.update('alice', spec)).toThrow(expect.objectContaining(refused))
      })

      it.each<readonly [string, Record<string, 1 | -1>]>([
        ['a __proto__ path', { '__proto__.x': 1 }],
        ['a NUL in a path', { ['a\0']: 1 }],
        ['a $ path', { $where: 1 }],
      ])('refuses an index on %s', async (_, keys) => {
        await expect(store.ensureIndexes([{ collection: coll(), keys, unique: true }])).rejects.toMatchObject(refused)
      })

      it('refuses a sort on a reserved path', async () => {
        await expect(store.find(coll(), {}, { sort: { constructor: 1 as const } })).rejects.toMatchObject(refused)
      })
    })
  })
}
