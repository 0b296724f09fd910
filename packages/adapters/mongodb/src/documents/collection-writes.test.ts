import { describe, expect, it } from '@jest/globals'
import { MongoBulkWriteError, ObjectId } from 'mongodb'
import type { DocumentWrite } from '@eventfold/projections/spi'
import type { StoredState } from '../mongo-errors'
import { allApplied, bulkOperations, judge, sendingOrder, type BulkOutcome } from './collection-writes'

const commit = new ObjectId()
const other = new ObjectId().toHexString()
const put = (id: string, expectedRevision = 0): DocumentWrite => ({
  kind: 'put',
  collection: 'c',
  doc: { _id: id, n: 1 },
  meta: { revision: expectedRevision + 1, positions: { '0/1': '5' } },
  expectedRevision,
})
const del = (id: string, expectedRevision = 1): DocumentWrite => ({ kind: 'delete', collection: 'c', id, expectedRevision })
const at = (revision: number | undefined, by = other): StoredState => ({ exists: true, revision, commit: by })
const ours = (revision: number): StoredState => at(revision, commit.toHexString())
const absent: StoredState = { exists: false }
const bulkError = (code: number) => Object.assign(Object.create(MongoBulkWriteError.prototype) as MongoBulkWriteError, { code })

const outcome = (writes: DocumentWrite[], counts: Partial<Omit<BulkOutcome, 'writes' | 'collection'>> = {}): BulkOutcome => ({
  collection: 'c',
  writes,
  matched: 0,
  upserted: 0,
  deleted: 0,
  errors: new Map(),
  error: undefined,
  ...counts,
})

describe('the writes of one collection', () => {
  it('are sent deletes first, each kind in request order', () => {
    expect(sendingOrder([put('a'), del('b'), put('c'), del('d')]).map((w) => (w.kind === 'put' ? w.doc._id : w.id))).toEqual(['b', 'd', 'a', 'c'])
  })

  it('are guarded by the revision they expect, creating only where no eventfold document is', () => {
    expect(bulkOperations([put('a'), put('b', 3), del('c', 2), del('d', 0)], commit)).toEqual([
      {
        replaceOne: {
          filter: { _id: 'a', _ef: { $exists: false } },
          replacement: { _id: 'a', n: 1, _ef: { rev: 1, pos: { '0/1': '5' }, commit } },
          upsert: true,
        },
      },
      { replaceOne: { filter: { _id: 'b', '_ef.rev': 3 }, replacement: { _id: 'b', n: 1, _ef: { rev: 4, pos: { '0/1': '5' }, commit } }, upsert: false } },
      { deleteOne: { filter: { _id: 'c', '_ef.rev': 2 } } },
      { deleteOne: { filter: { _id: 'd', _ef: { $exists: false } } } },
    ])
  })

  it('applied when the counts add up and nothing failed', () => {
    expect(allApplied(outcome([put('a'), put('b', 2), del('c')], { upserted: 1, matched: 1, deleted: 1 }))).toBe(true)
    expect(allApplied(outcome([put('a'), put('b', 2)], { upserted: 1 }))).toBe(false)
    expect(allApplied(outcome([del('c')], { deleted: 0 }))).toBe(false)
    expect(allApplied(outcome([put('a')], { upserted: 1, error: bulkError(64) }))).toBe(false)
  })
})

describe('judging a bulk write without a transaction (its successful writes stay)', () => {
  it('finds nothing wrong when every put carries the commit and every delete removed its document', () => {
    const writes = [del('x'), put('a'), put('b', 4)]

    expect(judge(outcome(writes, { deleted: 1 }), new Map([['x', absent], ['a', ours(1)], ['b', ours(5)]]), 'applied', commit)).toBeUndefined()
  })

  it('reports a conflict for the first put whose document is at another revision', () => {
    const writes = [put('a'), put('b', 4), put('c', 1)]
    const states = new Map([['a', ours(1)], ['b', at(6)], ['c', at(2)]])

    expect(judge(outcome(writes, { upserted: 1 }), states, 'applied', commit)).toMatchObject({ index: 1, kind: 'conflict', state: at(6) })
  })

  it('reports a conflict for a create that met a document another commit wrote, whatever error index the server gave', () => {
    const writes = [put('a'), put('b')]
    const states = new Map([['a', ours(1)], ['b', at(1)]])

    expect(judge(outcome(writes, { errors: new Map([[0, 11000]]), error: bulkError(11000) }), states, 'applied', commit)).toMatchObject({ index: 1, kind: 'conflict' })
  })

  it('reports a put left at its expected revision as refused, with the bulk’s code when the server numbered the error wrongly', () => {
    const writes = [put('a'), put('b')]
    const states = new Map([['a', ours(1)], ['b', absent]])

    expect(judge(outcome(writes, { errors: new Map([[0, 11000]]), error: bulkError(11000) }), states, 'applied', commit)).toMatchObject({
      index: 1,
      kind: 'refused',
      code: 11000,
    })
  })

  it('reports a delete whose document is still there at another revision', () => {
    expect(judge(outcome([del('a', 2)]), new Map([['a', at(3)]]), 'applied', commit)).toMatchObject({ index: 0, kind: 'conflict' })
  })

  it('reports a delete of a missing document when the server deleted fewer documents than it was asked to', () => {
    const writes = [del('a', 1), del('b', 7), put('c')]
    const states = new Map([['a', absent], ['b', absent], ['c', ours(1)]])

    expect(judge(outcome(writes, { deleted: 2, upserted: 1 }), states, 'applied', commit)).toBeUndefined()
    expect(judge(outcome(writes, { deleted: 1, upserted: 1 }), states, 'applied', commit)).toMatchObject({ index: 0, kind: 'conflict', state: absent })
  })

  it('counts a delete at revision 0 as done, and as having removed a document when the deleted count is ambiguous', () => {
    const writes = [del('a', 0), del('b', 1)]
    const states = new Map([['a', absent], ['b', absent]])

    expect(judge(outcome([writes[0]!], { deleted: 0 }), states, 'applied', commit)).toBeUndefined()
    expect(judge(outcome(writes, { deleted: 2 }), states, 'applied', commit)).toBeUndefined()
    // One deletion for two deletes: `b` may have found nothing. A false conflict is safe (the batch is recomputed); a missed one is not.
    expect(judge(outcome(writes, { deleted: 1 }), states, 'applied', commit)).toMatchObject({ index: 1, kind: 'conflict' })
  })

  it('reports a delete at revision 0 that met an eventfold document', () => {
    expect(judge(outcome([del('a', 0)]), new Map([['a', at(2)]]), 'applied', commit)).toMatchObject({ index: 0, kind: 'conflict' })
  })
})

describe('judging a bulk write whose transaction aborted (nothing stays)', () => {
  it('reports the first write whose document is not at the expected revision', () => {
    const writes = [del('x', 2), put('a'), put('b', 1)]
    const states = new Map([['x', at(2)], ['a', at(undefined)], ['b', at(3)]])

    expect(judge(outcome(writes), states, 'rolled-back', commit)).toMatchObject({ index: 2, kind: 'conflict' })
  })

  it('reports the write the server refused when every document is where its write expects it', () => {
    const writes = [put('a'), put('b', 1)]
    const states = new Map([['a', absent], ['b', at(1)]])

    expect(judge(outcome(writes, { errors: new Map([[1, 11000]]), error: bulkError(11000) }), states, 'rolled-back', commit)).toMatchObject({
      index: 1,
      kind: 'refused',
      code: 11000,
    })
  })

  it('finds nothing when the documents changed back before they were read', () => {
    expect(judge(outcome([put('a', 1)]), new Map([['a', at(1)]]), 'rolled-back', commit)).toBeUndefined()
  })
})
