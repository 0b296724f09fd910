import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { inboxContract } from '@eventfold/messaging/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { postgresInbox } from './postgres-inbox'

describePostgres('postgresInbox', () => {
  let pool: pg.Pool
  const schemas: string[] = []

  beforeAll(() => {
    pool = testPool()
  })

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema)
    await pool.end()
  })

  inboxContract('PostgreSQL', { appends: true, transactions: true }, async () => {
    const schema = freshSchema('inbox')
    schemas.push(schema)
    const inbox = postgresInbox(pool, { schema })
    return { inbox, teardown: () => inbox.close() }
  })

  it('gives the events of several appends in one commit distinct positions, in the order they were appended', async () => {
    const schema = freshSchema('inbox')
    schemas.push(schema)
    const inbox = postgresInbox(pool, { schema })
    try {
      await inbox.commit({
        appends: [
          { streamId: 'Ledger-a', events: [{ type: 'Credited', data: { n: 1 } }, { type: 'Credited', data: { n: 2 } }], expectedRevision: 'no_stream' },
          { streamId: 'Ledger-b', events: [{ type: 'Credited', data: { n: 3 } }], expectedRevision: 'no_stream' },
          { streamId: 'Ledger-a', events: [{ type: 'Credited', data: { n: 4 } }], expectedRevision: 1n },
        ],
        writes: [],
      })
      const read: { streamId: string; revision: bigint; position: bigint; n: number }[] = []
      for await (const e of inbox.events!.readAll()) read.push({ streamId: e.streamId, revision: e.revision, position: e.position, n: (e.data as { n: number }).n })
      expect(read.map(({ streamId, revision, n }) => ({ streamId, revision, n }))).toEqual([
        { streamId: 'Ledger-a', revision: 0n, n: 1 },
        { streamId: 'Ledger-a', revision: 1n, n: 2 },
        { streamId: 'Ledger-b', revision: 0n, n: 3 },
        { streamId: 'Ledger-a', revision: 2n, n: 4 },
      ])
      expect(read.map((e) => e.position - read[0]!.position)).toEqual([0n, 1n, 2n, 3n])
    } finally {
      await inbox.close()
    }
  })
})
