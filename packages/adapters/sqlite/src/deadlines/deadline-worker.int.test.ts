import { join } from 'node:path'
import { deadlineWorkerSuite } from '@eventfold/sagas/testing'
import { countDeadlineEffects } from '@eventfold/sagas/testing/deadline-worker-process'
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
    const eventStore = new SqliteEventStore(sqlite)
    return {
      deadlines: new SqliteDeadlineStore(sqlite),
      effects: (scope) => countDeadlineEffects(eventStore, scope),
      workerArgs: [file],
      dispose: async () => {
        await sqlite.close()
        dir.remove()
      },
    }
  },
})
