import { sagaSuite } from '@eventfold/sagas/testing'
import { SqliteDeadlineStore } from '../deadlines/sqlite-deadline-store'
import { SqliteDocumentStore } from '../documents'
import { openSqlite } from '../sqlite-connection'
import { SqliteEventStore } from '../sqlite-event-store'
import { tempDir } from '../test-support/temp-dir'

// Instances, the log of the aggregates they command and the dedupe lookups share one file, as in an application.
sagaSuite('SQLite', async () => {
  const dir = tempDir()
  const sqlite = openSqlite(dir.file('sagas.db'))
  return {
    documents: new SqliteDocumentStore(sqlite),
    eventStore: new SqliteEventStore(sqlite),
    deadlines: new SqliteDeadlineStore(sqlite),
    teardown: async () => {
      await sqlite.close()
      dir.remove()
    },
  }
})
