import { documentStoreHostileInput } from '@eventfold/projections/testing'
import { tempDir } from '../test-support/temp-dir'
import { SqliteDocumentStore } from './sqlite-document-store'

documentStoreHostileInput('SqliteDocumentStore', async () => {
  const dir = tempDir()
  return { store: SqliteDocumentStore.open(dir.file('documents.db')), teardown: async () => dir.remove() }
})
