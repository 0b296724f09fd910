import { rebuildPreviewSuite } from '@eventfold/projections/testing'
import { describeMongo } from '../testing/connect'
import { MongoDocumentStore } from './mongo-document-store'

describeMongo('MongoDB document store', (mongo) => {
  rebuildPreviewSuite('MongoDB', { documents: () => new MongoDocumentStore(mongo().client, mongo().dbName) })
})
