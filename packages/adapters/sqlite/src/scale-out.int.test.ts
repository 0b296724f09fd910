import { join } from 'node:path'
import { scaleOutSuite } from '@eventfold/projections/testing'
import { SqliteDocumentStore } from './documents'
import { openSqlite } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir } from './test-support/temp-dir'
import { buildPackage } from './test-support/writer-process'

// The worker processes share one SQLite file with the test.
scaleOutSuite({
  name: 'SQLite',
  workerScript: join(__dirname, 'test-support', 'scale-out-worker.cjs'),
  build: buildPackage,
  open: async () => {
    const dir = tempDir()
    const file = dir.file('scale-out.db')
    const sqlite = openSqlite(file, { synchronous: 'normal' })
    return {
      eventStore: new SqliteEventStore(sqlite, { pollIntervalMs: 50 }),
      documents: new SqliteDocumentStore(sqlite),
      workerArgs: [file],
      openRebuildStore: async () => SqliteDocumentStore.open(dir.file('rebuild.db'), { synchronous: 'normal' }),
      dispose: async () => {
        await sqlite.close()
        dir.remove()
      },
    }
  },
})
