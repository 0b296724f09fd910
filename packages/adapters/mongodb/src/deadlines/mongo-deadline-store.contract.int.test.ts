import { deadlineStoreContract } from '@eventfold/sagas/testing'
import { describeMongo } from '../testing/connect'
import { MongoDeadlineStore } from './mongo-deadline-store'

describeMongo('MongoDeadlineStore', (mongo) => {
  deadlineStoreContract('MongoDeadlineStore', async () => ({ store: new MongoDeadlineStore(mongo().client, mongo().dbName) }))
})
