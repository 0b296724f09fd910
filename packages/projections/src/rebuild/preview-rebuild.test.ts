import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import { rebuildPreviewSuite } from '../testing/rebuild-preview-suite'

rebuildPreviewSuite('the in-memory document store', { documents: () => new InMemoryDocumentStore() })
