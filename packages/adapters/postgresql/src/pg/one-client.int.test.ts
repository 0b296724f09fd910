import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { within } from '@eventfold/core/testing'
import { ConcurrencyError } from '@eventfold/core'
import { DocumentConflictError, DuplicateDocumentError } from '@eventfold/projections'
import type { DocumentWrite } from '@eventfold/projections/spi'
import pg from 'pg'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { PostgresEventStore } from '../events/postgres-event-store'
import { postgresInbox } from '../inbox/postgres-inbox'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../testing/connect'


const put = (collection: string, id: string, fields: Record<string, unknown>, expectedRevision: number): DocumentWrite => ({
  kind: 'put',
  collection,
  doc: { _id: id, ...fields },
  meta: { revision: expectedRevision + 1, positions: {} },
  expectedRevision,
})

// A store that held its transaction's client while it waited for a second one of the same pool would hang here:
// with one client, every path that explains a refused commit must read after releasing it.
describePostgres('the stores on a pool of one client, used concurrently', () => {
  const schema = freshSchema('one_client')
  let pool: pg.Pool
  let events: PostgresEventStore
  let documents: PostgresDocumentStore

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl(), max: 1 })
    events = new PostgresEventStore(pool, { schema, notifications: false })
    documents = new PostgresDocumentStore(pool, { schema })
    await Promise.all([events.ready(), documents.ready()])
  })
  afterAll(async () => {
    await events.close()
    await documents.close()
    await dropSchema(pool, schema)
    await pool.end()
  })

  it('names the document that moved when concurrent bulk commits race over the same documents', async () => {
    await documents.commit({ writes: [put('race', 'a', { v: 0 }, 0), put('race', 'b', { v: 0 }, 0)] })
    const outcomes = await within(
      Promise.allSettled([1, 2, 3].map((v) => documents.commit({ writes: [put('race', 'a', { v }, 1), put('race', 'b', { v }, 1)], checkpoint: { name: `race-${v}`, position: 1n } }))),
      10_000,
      'three bulk commits over the same documents',
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(DocumentConflictError)
  })

  it('names the document a unique index refused, rerunning write by write, while other commits run', async () => {
    await documents.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
    await documents.commit({ writes: [put('users', 'u1', { email: 'ann@example.com' }, 0)] })
    const [refused, ...others] = await within(
      Promise.allSettled([
        documents.commit({ writes: [put('users', 'u2', { email: 'bob@example.com' }, 0), put('users', 'u3', { email: 'ann@example.com' }, 0)] }),
        ...[4, 5, 6].map((n) => documents.commit({ writes: [put('users', `u${n}`, { email: `u${n}@example.com` }, 0), put('users', `w${n}`, { email: `w${n}@example.com` }, 0)] })),
      ]),
      10_000,
      'a commit a unique index refuses, beside three others',
    )
    expect(refused).toMatchObject({ status: 'rejected', reason: { type: new DuplicateDocumentError('', '').type, collection: 'users', id: 'u3' } })
    expect(others.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
  })

  it('explains the appends that lost a race for one stream', async () => {
    await events.appendToStream('Race-1', [{ type: 'Opened', data: {} }], { expectedRevision: 'no_stream' })
    const outcomes = await within(
      Promise.allSettled([1, 2, 3, 4].map((n) => events.appendToStream('Race-1', [{ type: 'Credited', data: { n } }], { expectedRevision: 0n }))),
      10_000,
      'four appends racing for one revision',
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ type: new ConcurrencyError('', 0n, 0n).type, streamId: 'Race-1', actual: 1n })
  })

  it('explains the inbox commits whose append lost a race, with the stream revision read after the rollback', async () => {
    const inbox = postgresInbox(pool, { schema })
    try {
      const outcomes = await within(
        Promise.allSettled(
          [1, 2, 3].map((n) =>
            inbox.commit({
              appends: [{ streamId: 'Ledger-race', events: [{ type: 'Credited', data: { n } }], expectedRevision: 'no_stream' }],
              writes: [put('_ef_inbox', `m${n}`, {}, 0)],
              checkpoint: { name: `inbox-${n}`, position: BigInt(n) },
            }),
          ),
        ),
        10_000,
        'three inbox commits appending to one new stream',
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ type: new ConcurrencyError('', 0n, 0n).type, streamId: 'Ledger-race', actual: 0n })
    } finally {
      await inbox.close()
    }
  })
})
