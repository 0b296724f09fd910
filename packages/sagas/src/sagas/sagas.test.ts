import { InMemoryEventStore } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { sagaSuite } from '../testing/saga-suite'

sagaSuite('InMemoryDocumentStore', async () => ({ documents: new InMemoryDocumentStore(), eventStore: new InMemoryEventStore() }))
