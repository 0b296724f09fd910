import { eventStoreContract } from '@eventfold/core/testing'
import { describeEventStoreDB } from '../testing/server'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

describeEventStoreDB('EventStoreDB contract', (url) => {
  // One server for every test: its log is shared (and holds system events), so the suite runs in its non-isolated mode.
  eventStoreContract('EventStoreDBEventStore', async () => ({ store: new EventStoreDBEventStore(url) }), { isolated: false })
})
