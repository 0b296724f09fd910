import { deadlineStoreContract } from '@eventfold/sagas/testing'
import { openSqlite } from '../sqlite-connection'
import { tempDir } from '../test-support/temp-dir'
import { SqliteDeadlineStore } from './sqlite-deadline-store'

deadlineStoreContract('SqliteDeadlineStore', async () => {
  const dir = tempDir()
  const sqlite = openSqlite(dir.file('deadlines.db'))
  return {
    store: new SqliteDeadlineStore(sqlite),
    teardown: async () => {
      await sqlite.close()
      dir.remove()
    },
  }
})
