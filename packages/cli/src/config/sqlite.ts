import { resolve } from 'node:path'
import type { DeadlineStore } from '@eventfold/sagas'
import type { OpenSqliteOptions, SqliteConnection } from '@eventfold/sqlite'
import type { InboxStore } from '@eventfold/messaging'
import { UsageError } from '../errors'
import { currentScope } from './command-scope'
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
 * SQLite file. This is the one place the CLI builds stores; the JSON
 * config's `"sqlite"` key uses it, and so can an `eventfold.config.js`.
 *
 * Run by an `eventfold` command, a relative `path` is relative to the
 * config file's directory (as in `eventfold.config.json`), and a command
 * that only reads opens the file read-only: a missing file, or one that is
 * not an eventfold database, is an error naming it, and nothing is created.
 * Commands that write create the file when it is missing.
 * Elsewhere (your own code) a relative path is relative to the working directory.
 * @param path the SQLite file
 * @param options `synchronous`, `busyTimeoutMs` and `readOnly` of `openSqlite`. @default openSqlite's defaults; `readOnly` as the running command needs
 * @example
 * ```js
 * module.exports = defineConfig({ connect: () => connectSqlite('bank.db'), projections: [AccountBalances] })
 * ```
 */
export const connectSqlite = async (path: string, options: OpenSqliteOptions = {}): Promise<EventfoldConnection> => {
  const { openSqlite, SqliteEventStore, SqliteDocumentStore, SqliteDeadlineStore, sqliteInbox } = loadAdapter()
  const scope = currentScope()
  const file = scope && path !== ':memory:' && path !== '' ? resolve(scope.configDir, path) : path
  const readOnly = options.readOnly ?? scope?.readOnly ?? false
  const connection = openSqlite(file, { ...options, readOnly })
  // Read-only, a file lacks the tables of the stores that never wrote to it
  // (a log whose projections never ran): those read as empty stores.
  let empty: SqliteConnection | undefined
  const orEmpty = <S>(build: (c: SqliteConnection) => S): S => {
    try {
      return build(connection)
    } catch (error) {
      if (!readOnly || (error as { type?: unknown }).type !== 'sqlite-schema-missing') throw error
      empty ??= openSqlite(':memory:')
      return build(empty)
    }
  }
  try {
    const eventStore = orEmpty((c) => new SqliteEventStore(c))
    const documents = orEmpty((c) => new SqliteDocumentStore(c))
    let deadlines: DeadlineStore | undefined
    let inbox: InboxStore | undefined
    return {
      eventStore,
      documents,
      // Built on first use: a command that never reads deadlines adds no table to the file.
      get deadlines() {
        return (deadlines ??= orEmpty((c) => new SqliteDeadlineStore(c)))
      },
      // Built on first use: only `parked retry` commits through it, and a read-only file may lack the tables it creates.
      get inbox(): InboxStore {
        return (inbox ??= sqliteInbox(connection))
      },
      // Closes both stores (subscriptions first), then the file.
      close: async () => {
        await connection.close()
        await empty?.close()
      },
    }
  } catch (error) {
    await connection.close()
    await empty?.close()
    throw error
  }
}
