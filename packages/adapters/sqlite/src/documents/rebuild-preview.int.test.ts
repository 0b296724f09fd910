import { afterAll, beforeAll } from '@jest/globals'
import { rebuildPreviewSuite } from '@eventfold/projections/testing'
import { tempDir, type TempDir } from '../test-support/temp-dir'
import { SqliteDocumentStore } from './sqlite-document-store'

let dir: TempDir
let store: SqliteDocumentStore

beforeAll(() => {
  dir = tempDir()
  store = SqliteDocumentStore.open(dir.file('documents.db'))
})

afterAll(async () => {
  await store.close()
  dir.remove()
})

rebuildPreviewSuite('SqliteDocumentStore', { documents: () => store })
