import { afterEach, beforeEach, expect, it, jest } from '@jest/globals'
// #region imports
import pg from 'pg'
import { PostgresDocumentStore, PostgresEventStore } from '@eventfold/postgresql'
// #endregion imports
import { describePostgres, dropSchema, postgresUrl } from './testing/connect'

describePostgres('the README', () => {
  const env = process.env.POSTGRES_URL
  const cleanUp = async () => {
    const admin = new pg.Pool({ connectionString: postgresUrl(), max: 1 })
    await dropSchema(admin, 'bank')
    await admin.end()
  }

  beforeEach(async () => {
    process.env.POSTGRES_URL = postgresUrl()
    await cleanUp()
  })

  afterEach(async () => {
    if (env === undefined) delete process.env.POSTGRES_URL
    else process.env.POSTGRES_URL = env
    jest.restoreAllMocks()
    await cleanUp()
  })

  it('runs its usage example', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})

    // #region usage
    const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL })
    const events = new PostgresEventStore(pool, { schema: 'bank' }) // creates bank.eventfold_events on first use
    const documents = new PostgresDocumentStore(pool, { schema: 'bank' })

    const opened = await events.appendToStream('Account-1', [{ type: 'AccountOpened', data: { owner: 'Ann' } }], {
      expectedRevision: 'no_stream',
    })
    const deposited = await events.appendToStream('Account-1', [{ type: 'Deposited', data: { amount: 5 } }], {
      expectedRevision: opened.nextRevision, // a ConcurrencyError if someone else appended meanwhile
    })

    for await (const event of events.readStream('Account-1')) {
      console.log(event.revision, event.type, event.data) // 0n AccountOpened { owner: 'Ann' }, then 1n Deposited …
    }

    // A read model and its checkpoint, committed in one transaction.
    await documents.commit({
      writes: [
        {
          kind: 'put',
          collection: 'balances',
          doc: { _id: 'Account-1', owner: 'Ann', balance: 5 },
          meta: { revision: 1, positions: {} },
          expectedRevision: 0, // 0: must not exist yet; a DocumentConflictError otherwise
        },
      ],
      checkpoint: { name: 'balances', position: deposited.position },
    })
    console.log(await documents.find('balances', { balance: { $gt: 0 } })) // [{ _id: 'Account-1', owner: 'Ann', balance: 5 }]

    // From a checkpoint (exclusive), or 'start' / 'end'; woken by NOTIFY, stays live after catching up.
    const subscription = events.subscribeToAll({ fromPosition: 'start', filter: { streamPrefixes: ['Account-'] } })
    for await (const event of subscription) {
      console.log(event.position, event.streamId, event.type)
      if (event.type === 'Deposited') break
    }

    await events.close() // ends its subscriptions and its listening connection
    await documents.close()
    await pool.end() // the stores borrowed the pool: whoever opens a pool ends it
    // #endregion usage

    expect(log.mock.calls.map((call) => call.slice(0, 2))).toEqual([
      [0n, 'AccountOpened'],
      [1n, 'Deposited'],
      [[{ _id: 'Account-1', owner: 'Ann', balance: 5 }], undefined],
      [opened.position, 'Account-1'],
      [deposited.position, 'Account-1'],
    ])
  })
})
