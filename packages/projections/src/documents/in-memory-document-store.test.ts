import { documentStoreContract } from '../testing/document-store-contract'
import { InMemoryDocumentStore } from './in-memory-document-store'

documentStoreContract('InMemoryDocumentStore', async () => {
  const store = new InMemoryDocumentStore()
  // A process-local store has no outside readers: what they would see is the published collection.
  return { store, readPublished: async (name) => { const c = store.publishedCollection(name); return c === undefined ? [] : store.find(c) } }
})
