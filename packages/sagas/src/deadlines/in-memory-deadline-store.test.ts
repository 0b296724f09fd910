import { deadlineStoreContract } from '../testing'
import { InMemoryDeadlineStore } from './in-memory-deadline-store'

deadlineStoreContract('InMemoryDeadlineStore', async () => ({ store: new InMemoryDeadlineStore() }))
