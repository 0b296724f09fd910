import { documentStoreHostileInput } from '@eventfold/projections/testing'
import { describeMongo } from '../testing/connect'
import { MongoDocumentStore } from './mongo-document-store'

describeMongo('MongoDocumentStore against the server at MONGODB_URL', (mongo) => {
  documentStoreHostileInput('MongoDocumentStore', async () => {
    const store = new MongoDocumentStore(mongo().client, mongo().dbName)
    await store.ready()
    return { store }
  })
})
