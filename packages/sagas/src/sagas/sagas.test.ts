import { InMemoryEventStore } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { InMemoryDeadlineStore } from '../deadlines/in-memory-deadline-store'
import { sagaSuite } from '../testing/saga-suite'

sagaSuite('InMemoryDocumentStore', async () => ({ documents: new InMemoryDocumentStore(), eventStore: new InMemoryEventStore(), deadlines: new InMemoryDeadlineStore() }))
