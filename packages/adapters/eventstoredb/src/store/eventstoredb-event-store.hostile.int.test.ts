import { eventStoreHostileInput } from '@eventfold/core/testing'
import { describeEventStoreDB } from '../testing/server'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

describeEventStoreDB('EventStoreDB hostile input', (url) => {
  eventStoreHostileInput('EventStoreDBEventStore', async () => ({ store: new EventStoreDBEventStore(url) }))
})
