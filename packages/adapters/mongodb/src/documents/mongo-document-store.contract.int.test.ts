import { documentStoreContract } from '@eventfold/projections/testing'
import { describeMongo, mongoTestServer } from '../testing/connect'
import { MongoDocumentStore } from './mongo-document-store'

describeMongo('MongoDocumentStore against the server at MONGODB_URL', (mongo) => {
  documentStoreContract('MongoDocumentStore, transactions as detected', async () => {
    const store = new MongoDocumentStore(mongo().client, mongo().dbName)
    await store.ready()
    return { store }
  })

  // A replica set gives the detected store transactions: run the path without them there too.
  if (mongoTestServer()?.replicaSet) {
    documentStoreContract('MongoDocumentStore, without transactions', async () => ({
      store: new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false }),
    }))
  }
})
