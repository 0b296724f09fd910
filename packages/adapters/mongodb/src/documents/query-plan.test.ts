import { describe, expect, it } from '@jest/globals'
import { planQuery } from './query-plan'

describe('planning a query', () => {
  const clientSide = new Set(['$elemMatch'])

  it('sends the whole filter to the server when it uses no client-side operator', () => {
    const filter = { status: 'open', balance: { $gt: 0 }, $or: [{ a: 1 }, { b: { $in: [1, 2] } }] }

    expect(planQuery(filter, clientSide)).toEqual({ server: filter, residual: undefined })
    expect(planQuery({ limits: { $elemMatch: { kind: 'x' } } }, new Set())).toEqual({ server: { limits: { $elemMatch: { kind: 'x' } } }, residual: undefined })
  })

  it('keeps the top-level conditions that use one in the process, wherever the operator is nested', () => {
    const elem = { $elemMatch: { kind: 'daily', amount: { $gte: 200 } } }

    expect(planQuery({ status: 'open', limits: elem, $or: [{ a: 1 }, { tags: elem }], 'x.y': { $regex: /^a/ } }, clientSide)).toEqual({
      server: { status: 'open', 'x.y': { $regex: /^a/ } },
      residual: { limits: elem, $or: [{ a: 1 }, { tags: elem }] },
    })
  })
})
