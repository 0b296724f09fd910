import { eventStoreContract } from '@eventfold/core/testing'
import { openSqlite } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir } from './test-support/temp-dir'

eventStoreContract('SqliteEventStore on its own connection', async () => {
  const dir = tempDir()
  return { store: SqliteEventStore.open(dir.file('events.db')), teardown: async () => dir.remove() }
})

// Tiny pages make every read and catch-up cross many page boundaries.
eventStoreContract('SqliteEventStore on a shared connection with 7-row pages', async () => {
  const dir = tempDir()
  const sqlite = openSqlite(dir.file('events.db'), { synchronous: 'normal' })
  return {
    store: new SqliteEventStore(sqlite, { pageSize: 7 }),
    teardown: async () => {
      await sqlite.close()
      dir.remove()
    },
  }
})
