import { EventfoldError, type ExpectedRevision } from '@eventfold/core'
import { assertDistinctEventIds, serializeEvents } from '@eventfold/core/spi'
import type { InboxCommitRequest, InboxStore } from '@eventfold/messaging/spi'
import type { CommitRequest } from '@eventfold/projections/spi'
import { appendEvents, type PendingEvent } from '../append-transaction'
import { SqliteDocumentStore } from '../documents'
import { prepareEventStatements } from '../event-statements'
import type { SqliteConnection } from '../sqlite-connection'
import { permanentSqliteError, translateSqliteError } from '../sqlite-errors'
import { SqliteEventStore, type SqliteEventStoreOptions } from '../sqlite-event-store'
import { appendSignalOf } from '../sqlite-polling-source'

interface PendingAppend {
  readonly streamId: string
  readonly expected: ExpectedRevision
  readonly events: readonly PendingEvent[]
}

/**
 * A consumer's inbox in an SQLite file that holds its log and its read
 * models: a message's appends, document writes and inbox record commit in
 * one `BEGIN IMMEDIATE` transaction, so a message is applied exactly once.
 * Closing the connection closes the stores.
 * @example
 * ```ts
 * const connection = openSqlite('billing.db')
 * const worker = new ConsumerWorker(billing, transport, sqliteInbox(connection), { aggregates: [Invoice] })
 * ```
 */
export const sqliteInbox = (connection: SqliteConnection, options: SqliteEventStoreOptions = {}): InboxStore => {
  const events = new SqliteEventStore(connection, options)
  const documents = new SqliteDocumentStore(connection)
  const statements = prepareEventStatements(connection.db)
  const signal = appendSignalOf(connection)
  let current: PendingAppend | undefined
  const commitAll = connection.db.transaction((appends: readonly PendingAppend[], request: CommitRequest): boolean => {
    let appended = false
    for (const append of appends) {
      current = append
      appended = appendEvents(statements, append.streamId, append.expected, append.events).appended || appended
    }
    current = undefined
    documents.commitWithin(request)
    return appended
  })
  return {
    events,
    documents,
    async commit({ appends, ...request }: InboxCommitRequest): Promise<void> {
      const pending = appends.map((a): PendingAppend => {
        const serialized = serializeEvents(a.streamId, a.events)
        assertDistinctEventIds(serialized.map((e) => e.eventId))
        return { streamId: a.streamId, expected: a.expectedRevision, events: serialized }
      })
      let appended: boolean
      try {
        appended = commitAll.immediate(pending, request)
      } catch (error) {
        if (error instanceof EventfoldError) throw error
        const failed = current
        current = undefined
        if (failed) {
          throw translateSqliteError(error, { streamId: failed.streamId, expected: failed.expected, currentRevision: () => statements.streamHead.get(failed.streamId)?.revision }, connection.path)
        }
        throw permanentSqliteError(error, connection.path) ?? error
      }
      if (appended) signal.notify()
    },
  }
}
