import { documentStoreContract } from '../testing/document-store-contract'
import { documentStoreHostileInput } from '../testing/document-store-hostile-input'
import { InMemoryDocumentStore } from './in-memory-document-store'

documentStoreContract('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
documentStoreHostileInput('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
