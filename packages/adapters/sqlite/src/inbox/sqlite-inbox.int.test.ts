import { inboxContract } from '@eventfold/messaging/testing'
import { openSqlite } from '../sqlite-connection'
import { sqliteInbox } from './sqlite-inbox'
import { tempDir } from '../test-support/temp-dir'

inboxContract('SQLite', { appends: true, transactions: true }, async () => {
  const dir = tempDir()
  const connection = openSqlite(`${dir.path}/inbox.db`)
  return { inbox: sqliteInbox(connection), teardown: async () => { await connection.close(); dir.remove() } }
})
