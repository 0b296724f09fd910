import { documentStoreContract } from '../testing/document-store-contract'
import { documentStoreHostileInput } from '../testing/document-store-hostile-input'
import { InMemoryDocumentStore } from './in-memory-document-store'

documentStoreContract('InMemoryDocumentStore', async () => {
  const store = new InMemoryDocumentStore()
  // A process-local store has no outside readers: what they would see is the published collection.
  return { store, readPublished: async (name) => { const c = store.publishedCollection(name); return c === undefined ? [] : store.find(c) } }
})
documentStoreHostileInput('InMemoryDocumentStore', async () => ({ store: new InMemoryDocumentStore() }))
