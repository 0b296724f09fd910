import { describe, expect, it } from '@jest/globals'
import { ObjectId } from 'mongodb'
import { SerializationError } from '@eventfold/core'
import { InvalidDocumentOperationError } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'
import { assertWritable, fromMongoDocument, storedState, toMongoDocument } from './bookkeeping'

const put = (doc: Record<string, unknown>, positions: Record<string, string> = {}, expectedRevision = 0): DocumentWrite => ({
  kind: 'put',
  collection: 'c',
  doc: { _id: 'a', ...doc },
  meta: { revision: expectedRevision + 1, positions },
  expectedRevision,
})

describe('bookkeeping', () => {
  it('is one field beside the document’s own, split off again when read', () => {
    const commit = new ObjectId()
    const stored = toMongoDocument({ _id: 'a', n: 1 }, { revision: 3, positions: { '0/2': '9' } }, commit)

    expect(stored).toEqual({ _id: 'a', n: 1, _ef: { rev: 3, pos: { '0/2': '9' }, commit } })
    expect(fromMongoDocument(stored)).toEqual({ doc: { _id: 'a', n: 1 }, meta: { revision: 3, positions: { '0/2': '9' } } })
    expect(storedState(stored)).toEqual({ exists: true, revision: 3, commit: commit.toHexString() })
  })

  it('reads a document without it as revision 0 without positions', () => {
    expect(fromMongoDocument({ _id: 'a', n: 1 })).toEqual({ doc: { _id: 'a', n: 1 }, meta: { revision: 0, positions: {} } })
    expect(storedState({ _id: 'a' })).toEqual({ exists: true, revision: undefined, commit: undefined })
    expect(storedState(undefined)).toEqual({ exists: false })
  })

  it.each<[string, DocumentWrite, new (...args: never[]) => Error]>([
    ['the bookkeeping field', put({ _ef: 1 }), InvalidDocumentOperationError],
    ['a top-level $ field', put({ $inc: { n: 1 } }), InvalidDocumentOperationError],
    ['an empty id', { ...put({}), doc: { _id: '' } } as DocumentWrite, InvalidDocumentOperationError],
    ['a negative expected revision', put({}, {}, -1), InvalidDocumentOperationError],
    ['a dotted partition key', put({}, { 'a.b': '1' }), InvalidDocumentOperationError],
    ['a BigInt', put({ n: 1n }), SerializationError],
    ['a cycle', put({ self: (() => { const o: Record<string, unknown> = {}; o.o = o; return o })() }), SerializationError],
  ])('refuses a write with %s', (_label, write, errorClass) => {
    expect(() => assertWritable(write)).toThrow(errorClass)
  })

  it('accepts nested dotted or $ keys the server may refuse, and Dates', () => {
    expect(() => assertWritable(put({ when: new Date(), nested: { deep: [1, { x: null }] } }))).not.toThrow()
  })
})
