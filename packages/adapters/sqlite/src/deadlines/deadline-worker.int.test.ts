import { join } from 'node:path'
import { deadlineWorkerSuite } from '@eventfold/sagas/testing'
import { openSqlite } from '../sqlite-connection'
import { SqliteEventStore } from '../sqlite-event-store'
import { tempDir } from '../test-support/temp-dir'
import { buildPackage } from '../test-support/writer-process'
import { SqliteDeadlineStore } from './sqlite-deadline-store'

// The worker processes share one SQLite file with the test.
deadlineWorkerSuite({
  name: 'SQLite',
  workerScript: join(__dirname, '..', 'test-support', 'deadline-worker.cjs'),
  build: buildPackage,
  open: async () => {
    const dir = tempDir()
    const file = dir.file('deadlines.db')
    const sqlite = openSqlite(file, { synchronous: 'normal' })
    return {
      deadlines: new SqliteDeadlineStore(sqlite),
      eventStore: new SqliteEventStore(sqlite),
      workerArgs: [file],
      dispose: async () => {
        await sqlite.close()
        dir.remove()
      },
    }
  },
})
