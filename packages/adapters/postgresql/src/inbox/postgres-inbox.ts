import { ConcurrencyError, type EventData, type ExpectedRevision } from '@eventfold/core'
import { assertDistinctEventIds, serializeEvents } from '@eventfold/core/spi'
import type { InboxCommitRequest, InboxStore } from '@eventfold/messaging/spi'
import type pg from 'pg'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { appendElements, EventSql, type AppendRow } from '../events/event-sql'
import { isAppendConflict, translateAppendError } from '../events/append-errors'
import { channelOf, PostgresEventStore } from '../events/postgres-event-store'
import { quoteIdent } from '../pg/identifiers'
import { inTransaction, resolvePool, type PostgresSource } from '../pg/pool'
import { warn } from '../pg/warn'

/** Options of {@link postgresInbox}. */
export interface PostgresInboxOptions {
  /** The schema of the consumer's log and documents (both in one). @default 'public' */
  readonly schema?: string
}

/**
 * A consumer's inbox in the PostgreSQL schema that holds its log and its
 * read models: a message's appends, document writes and inbox record commit
 * in one transaction, so a message is applied exactly once. The events of a
 * commit take positions of its transaction, as any append's do, so readers
 * of the log never pass them while it runs.
 * @example
 * ```ts
 * const worker = new ConsumerWorker(billing, transport, postgresInbox(pool, { schema: 'billing' }), { aggregates: [Invoice] })
 * ```
 */
export const postgresInbox = (source: PostgresSource, { schema = 'public' }: PostgresInboxOptions = {}): InboxStore & { close(): Promise<void> } => {
  const { pool, owned } = resolvePool(source, warn)
  const events = new PostgresEventStore(pool, { schema })
  const documents = new PostgresDocumentStore(pool, { schema })
  const sql = new EventSql(quoteIdent(schema))
  const channel = channelOf(schema)
  let ready: Promise<unknown> | undefined
  return {
    events,
    documents,
    async commit({ appends, ...request }: InboxCommitRequest): Promise<void> {
      // Both stores create their tables on first use, outside the commit's transaction.
      await (ready ??= Promise.all([events.headPosition(), documents.count('_ef_inbox')]))
      const pending = appends.map((a) => {
        const serialized = serializeEvents(a.streamId, a.events)
        assertDistinctEventIds(serialized.map((e) => e.eventId))
        return { ...a, json: appendElements(serialized), count: serialized.length }
      })
      try {
        await inTransaction(pool, async (client) => {
          let index = 0
          for (const a of pending) {
            await append(client, sql, channel, a, index)
            index += a.count
          }
          await documents.commitWithin(client, request)
        })
      } catch (error) {
        // A concurrent append took the revision: its stream's revision is read after the rollback, to name it.
        if (error instanceof ConcurrencyError && error.cause !== undefined) {
          throw new ConcurrencyError(error.streamId, error.expected, await events.streamRevision(error.streamId), { cause: error.cause })
        }
        throw error
      }
    },
    async close(): Promise<void> {
      await events.close()
      await documents.close()
      if (owned) await pool.end()
    },
  }
}

interface PendingAppend {
  readonly streamId: string
  readonly expectedRevision: ExpectedRevision
  readonly events: readonly EventData[]
  readonly json: string
}

/**
 * One append of the commit, by the event store's own append statement. Its
 * events' positions continue from `first`, the events the transaction
 * appended before: positions are unique per transaction, revisions per stream.
 * @throws {@link ConcurrencyError} when the stream is not at the expected revision, or a concurrent append took it.
 */
const append = async (client: pg.PoolClient, sql: EventSql, channel: string, a: PendingAppend, first: number): Promise<void> => {
  const expected = a.expectedRevision
  let appended: bigint
  try {
    const { rows } = await client.query<AppendRow>(sql.append(a.streamId, expected, a.json, channel, first))
    appended = rows[0]!.appended
  } catch (error) {
    if (isAppendConflict(error)) throw new ConcurrencyError(a.streamId, expected, undefined, { cause: error })
    throw translateAppendError(error)
  }
  if (appended > 0n) return
  const { rows } = await client.query<{ revision: bigint }>(sql.streamHead(a.streamId))
  throw new ConcurrencyError(a.streamId, expected, rows[0]?.revision)
}
