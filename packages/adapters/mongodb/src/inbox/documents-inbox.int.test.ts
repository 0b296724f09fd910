import { documentsInbox } from '@eventfold/messaging'
import { inboxContract } from '@eventfold/messaging/testing'
import { MongoDocumentStore } from '../documents/mongo-document-store'
import { describeMongo, mongoTestServer } from '../testing/connect'

// A consumer on MongoDB writes documents only: the generic documents inbox, with a transaction when the server has them.
describeMongo('documentsInbox on MongoDB', (mongo) => {
  inboxContract('MongoDB, transactions as detected', { appends: false, transactions: mongoTestServer().replicaSet }, async () => {
    const store = new MongoDocumentStore(mongo().client, mongo().dbName)
    await store.ready()
    return { inbox: documentsInbox(store) }
  })

  // A replica set gives the detected store transactions: run the idempotent path without them there too.
  if (mongoTestServer().replicaSet) {
    inboxContract('MongoDB, without transactions', { appends: false, transactions: false }, async () => ({
      inbox: documentsInbox(new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false })),
    }))
  }
})
