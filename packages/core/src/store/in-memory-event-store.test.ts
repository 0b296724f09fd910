import { eventStoreContract } from '../testing/event-store-contract'
import { eventStoreHostileInput } from '../testing/event-store-hostile-input'
import { InMemoryEventStore } from './in-memory-event-store'

eventStoreContract('InMemoryEventStore', async () => ({ store: new InMemoryEventStore() }))

// The suite's shared-log mode, as a server such as EventStoreDB needs it: the
// log already holds events and another writer keeps appending during each test.
eventStoreContract(
  'InMemoryEventStore with a busy shared log',
  async () => {
    const store = new InMemoryEventStore()
    await store.appendToStream('$system-1', [{ type: '$Started', data: {} }])
    let n = 0
    const writer = setInterval(() => {
      store.appendToStream(`Foreign-${n++ % 3}`, [{ type: 'Deposited', data: { n } }]).catch(() => clearInterval(writer))
    }, 2)
    return { store, teardown: async () => clearInterval(writer) }
  },
  { isolated: false },
)

eventStoreHostileInput('InMemoryEventStore', async () => ({ store: new InMemoryEventStore() }))
