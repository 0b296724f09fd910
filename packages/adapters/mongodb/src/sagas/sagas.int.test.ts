import { InMemoryEventStore } from '@eventfold/core'
import { sagaSuite } from '@eventfold/sagas/testing'
import { MongoDeadlineStore } from '../deadlines/mongo-deadline-store'
import { MongoDocumentStore } from '../documents/mongo-document-store'
import { describeMongo } from '../testing/connect'

// MongoDB holds the instances (the document-backed part); it holds no event log, so the commanded aggregates live in memory.
describeMongo('MongoDB sagas', (mongo) => {
  sagaSuite('MongoDB', async () => ({
    documents: new MongoDocumentStore(mongo().client, mongo().dbName),
    eventStore: new InMemoryEventStore(),
    deadlines: new MongoDeadlineStore(mongo().client, mongo().dbName),
  }))
})
