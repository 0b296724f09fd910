import { documentStoreContract } from '../testing/document-store-contract'
import { InMemoryDocumentStore } from './in-memory-document-store'

documentStoreContract('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
