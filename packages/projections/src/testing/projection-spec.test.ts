import type { RecordedEvent } from '@eventfold/core'
import type { Documents } from '../documents/documents'
import { On, Projection } from '../projection/decorators'
import { defineProjection } from '../projection/projection-definition'
import { ProjectionSpec, ProjectionSpecError, ProjectionSpecHandlerError, SPEC_OCCURRED_AT } from './projection-spec'

@Projection('spec-counts', { collection: 'counts' })
class Counts {
  @On('Hit') hit(e: RecordedEvent<{ key: string }>, view: Documents): void {
    if (e.data.key === 'bad') throw new Error('handler bug')
    view.upsert(e.data.key, { $inc: { n: 1 }, $set: { lastStream: e.streamId, at: e.metadata.occurredAt } })
  }
}

const hit = (key: string) => ({ type: 'Hit', data: { key } })

describe('ProjectionSpec', () => {
  it('passes when the documents named are as expected, whatever else the collection holds', async () => {
    await ProjectionSpec.for(new Counts())
      .given([hit('a'), hit('b'), hit('a')])
      .then({ counts: { a: { n: 2, lastStream: 'spec-1', at: SPEC_OCCURRED_AT }, missing: undefined } })
  })

  it('compares a whole collection, in _id order', async () => {
    await ProjectionSpec.for(new Counts())
      .given([hit('b'), { streamId: 'Game-7', event: hit('a'), metadata: { occurredAt: '2026-01-02T03:04:05.000Z' } }])
      .thenCollection('counts', [
        { _id: 'b', n: 1, lastStream: 'spec-1', at: SPEC_OCCURRED_AT },
        { _id: 'a', n: 1, lastStream: 'Game-7', at: '2026-01-02T03:04:05.000Z' },
      ])
  })

  it('fails with the expected and the actual document in its message', async () => {
    const failed = ProjectionSpec.for(new Counts()).given([hit('a')]).then({ counts: { a: { n: 2, lastStream: 'spec-1', at: SPEC_OCCURRED_AT } } })
    await expect(failed).rejects.toBeInstanceOf(ProjectionSpecError)
    await expect(failed).rejects.toMatchObject({
      projection: 'spec-counts',
      collection: 'counts',
      message: expect.stringMatching(/expected: \{\s+"a": \{\s+"_id": "a",\s+"n": 2,[\s\S]*actual: {3}\{\s+"a": \{\s+"_id": "a",\s+"n": 1,/),
    })
  })

  it('fails on a collection with a document more than expected', async () => {
    await expect(ProjectionSpec.for(new Counts()).given([hit('a'), hit('b')]).thenCollection('counts', [{ _id: 'a', n: 1, lastStream: 'spec-1', at: SPEC_OCCURRED_AT }])).rejects.toMatchObject({
      type: 'ProjectionSpecError',
      actual: [expect.objectContaining({ _id: 'a' }), expect.objectContaining({ _id: 'b' })],
    })
  })

  it('fails naming the event whose handler threw', async () => {
    const failed = ProjectionSpec.for(new Counts()).given([hit('a'), { streamId: 'Game-9', event: hit('bad') }]).then({ counts: {} })
    await expect(failed).rejects.toBeInstanceOf(ProjectionSpecHandlerError)
    await expect(failed).rejects.toMatchObject({ eventType: 'Hit', streamId: 'Game-9', error: { message: 'handler bug' } })
  })

  it('runs a projection defined without classes', async () => {
    const totals = defineProjection({
      name: 'spec-totals',
      collections: ['totals'],
      handlers: { Paid: (e: RecordedEvent<{ amount: number }>, view) => view.upsert('all', { $inc: { sum: e.data.amount } }) },
    })
    const spec = ProjectionSpec.for(totals).given([{ type: 'Paid', data: { amount: 5 } }, { type: 'Paid', data: { amount: 7 } }])
    await spec.then({ totals: { all: { sum: 12 } } })
    expect(await spec.documents('totals')).toEqual([{ _id: 'all', sum: 12 }])
  })
})
