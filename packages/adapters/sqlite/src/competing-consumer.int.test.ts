import { competingConsumerSuite } from '@eventfold/projections/testing'
import { SqliteDocumentStore } from './documents'
import { tempDir } from './test-support/temp-dir'

// The competing-consumer worker mode on the embedded store: documents and stream markers in one transaction on disk.
competingConsumerSuite('SqliteDocumentStore', async () => {
  const dir = tempDir()
  return { store: SqliteDocumentStore.open(dir.file('documents.db')), teardown: async () => dir.remove() }
})
