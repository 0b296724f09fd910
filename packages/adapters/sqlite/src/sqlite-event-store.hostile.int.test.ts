import { eventStoreHostileInput } from '@eventfold/core/testing'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir } from './test-support/temp-dir'

eventStoreHostileInput('SqliteEventStore', async () => {
  const dir = tempDir()
  return { store: SqliteEventStore.open(dir.file('events.db')), teardown: async () => dir.remove() }
})
