import type { Document } from '@eventfold/projections'
import { documentStoreContract } from '@eventfold/projections/testing'
import type { MongoClient } from 'mongodb'
import { describeMongo, mongoTestServer } from '../testing/connect'
import { MongoDocumentStore, READ_MODEL_COLLECTION } from './mongo-document-store'

/**
 * What mongosh sees: the view named after the read model. A server without
 * views (FerretDB 1.x) has only the record of where the read model lives,
 * which an outside reader follows.
 */
const readPublishedWithDriver = (client: MongoClient, dbName: string) => async (name: string): Promise<Document[]> => {
  const db = client.db(dbName)
  const [view] = await db.listCollections({ name, type: 'view' }, { nameOnly: true }).toArray()
  if (view) return db.collection<Document>(name).find().toArray()
  const record = await db.collection<{ _id: string; collection: string }>(READ_MODEL_COLLECTION).findOne({ _id: name })
  return record ? db.collection<Document>(record.collection).find({}, { projection: { _ef: 0 } }).toArray() : []
}

describeMongo('MongoDocumentStore against the server at MONGODB_URL', (mongo) => {
  documentStoreContract('MongoDocumentStore, transactions as detected', async () => {
    const store = new MongoDocumentStore(mongo().client, mongo().dbName)
    await store.ready()
    return { store, readPublished: readPublishedWithDriver(mongo().client, mongo().dbName) }
  })

  // A replica set gives the detected store transactions: run the path without them there too.
  if (mongoTestServer()?.replicaSet) {
    documentStoreContract('MongoDocumentStore, without transactions', async () => ({
      store: new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false }),
      readPublished: readPublishedWithDriver(mongo().client, mongo().dbName),
    }))
  }
})
