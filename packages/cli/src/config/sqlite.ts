import type { OpenSqliteOptions } from '@eventfold/sqlite'
import { UsageError } from '../errors'
import type { EventfoldConnection } from './define-config'

type SqliteAdapter = typeof import('@eventfold/sqlite')

/**
 * `@eventfold/sqlite` is an optional peer: only configs that use SQLite need
 * it, so it is required when first used instead of imported.
 */
const loadAdapter = (): SqliteAdapter => {
  try {
    return require('@eventfold/sqlite') as SqliteAdapter
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes('@eventfold/sqlite')) throw error
    throw new UsageError('SQLite stores need the @eventfold/sqlite package: npm install @eventfold/sqlite')
  }
}

/**
 * Opens the embedded default: the event log and the read models in one
 * SQLite file (created when missing). This is the one place the CLI builds
 * stores; the JSON config's `"sqlite"` key uses it, and so can an
 * `eventfold.config.js`.
 * @param path the SQLite file
 * @param options `synchronous` and `busyTimeoutMs` of `openSqlite`. @default openSqlite's defaults
 * @example
 * ```js
 * module.exports = defineConfig({ connect: () => connectSqlite('bank.db'), projections: [AccountBalances] })
 * ```
 */
export const connectSqlite = async (path: string, options: OpenSqliteOptions = {}): Promise<EventfoldConnection> => {
  const { openSqlite, SqliteEventStore, SqliteDocumentStore } = loadAdapter()
  const connection = openSqlite(path, options)
  try {
    return {
      eventStore: new SqliteEventStore(connection),
      documents: new SqliteDocumentStore(connection),
      // Closes both stores (subscriptions first), then the file.
      close: () => connection.close(),
    }
  } catch (error) {
    await connection.close()
    throw error
  }
}
