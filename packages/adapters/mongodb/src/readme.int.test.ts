import { afterEach, expect, it, jest } from '@jest/globals'
import { randomBytes } from 'node:crypto'
// #region imports
import { MongoClient } from 'mongodb'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { On, Projection, projectionFromInstance, ProjectionWorker, ReadModels, type Documents } from '@eventfold/projections'
import { MongoDocumentStore, MongoSnapshotStore } from '@eventfold/mongodb'
// #endregion imports
import { describeMongo } from './testing/connect'

// #region projection
@Projection('account-balances', {
  collection: 'account_balances',
  indexes: [{ collection: 'account_balances', keys: { owner: 1 } }],
})
class AccountBalances {
  @On('AccountOpened') opened(e: RecordedEvent<{ owner: string }>, view: Documents) {
    view.insert({ _id: e.streamId, owner: e.data.owner, balance: 0 })
  }
  @On('Deposited') deposited(e: RecordedEvent<{ amount: number }>, view: Documents) {
    view.update(e.streamId, { $inc: { balance: e.data.amount } })
  }
}
// #endregion projection

describeMongo('the README', (mongo) => {
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('runs its usage example', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    const url = mongo().server.url
    const dbName = `${mongo().dbName}_${randomBytes(3).toString('hex')}`

    // #region usage
    const client = await MongoClient.connect(url) // e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0
    const documents = new MongoDocumentStore(client, dbName)
    const { product, transactions, reason } = await documents.ready()
    console.log(product, transactions ? 'commits in transactions' : `commits without transactions: ${reason}`)

    const events = new InMemoryEventStore() // any EventStore: SQLite, EventStoreDB, PostgreSQL…
    await events.appendToStream('Account-1', [
      { type: 'AccountOpened', data: { owner: 'Ann' } },
      { type: 'Deposited', data: { amount: 5 } },
    ])

    const worker = new ProjectionWorker({
      eventStore: events,
      documents,
      projection: projectionFromInstance(new AccountBalances()),
      stopAtHead: true, // catch up, then return; leave it out to follow the log
    })
    const progress = await worker.run()
    console.log(progress.checkpoint, progress.writes) // 2n 1: both events hit one document, which a batch writes once

    // Read the read model by the name its projection declares: ReadModels reads the generation readers use…
    const balances = new ReadModels(documents).collection('account_balances')
    console.log(await balances.find({ balance: { $gt: 0 } }, { sort: { balance: -1 } })) // [{ _id: 'Account-1', owner: 'Ann', balance: 5 }]
    // …and so can the driver: `_ef_read_models` says which collection holds it (MongoDB also has a view named `account_balances`).
    const { collection } = (await client.db(dbName).collection<{ _id: string; collection: string }>('_ef_read_models').findOne({ _id: 'account_balances' }))!
    console.log(await client.db(dbName).collection(collection).findOne({ owner: 'Ann' }, { projection: { _ef: 0 } })) // { _id: 'Account-1', owner: 'Ann', balance: 5 }

    const snapshots = new MongoSnapshotStore(client, dbName)
    await snapshots.save({ streamId: 'Account-1', revision: 1n, schemaVersion: 1, state: { balance: 5 }, takenAt: new Date().toISOString() })

    await documents.close() // the client is yours: the store leaves it open
    // #endregion usage

    await client.db(dbName).dropDatabase()
    await client.close()
    const answers = log.mock.calls
    expect(answers[0]).toEqual([mongo().server.product, expect.any(String)])
    expect(answers[1]).toEqual([2n, 1])
    expect(answers[2]).toEqual([[{ _id: 'Account-1', owner: 'Ann', balance: 5 }]])
    expect(answers[3]).toEqual([{ _id: 'Account-1', owner: 'Ann', balance: 5 }])
  })
})
