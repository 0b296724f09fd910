import type { EventData, EventStore, ExpectedRevision } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import type { CommitRequest } from '@eventfold/projections/spi'

/** One append a handler made, held until the inbox commits it. */
export interface StreamAppend {
  readonly streamId: string
  readonly events: readonly EventData[]
  readonly expectedRevision: ExpectedRevision
}

/** What one inbox commit stores: the messages' inbox records and parked messages (as documents), their document writes and their appends. */
export interface InboxCommitRequest extends CommitRequest {
  /** Appends to the consumer's log, in order. */
  readonly appends: readonly StreamAppend[]
}

/**
 * The consumer's own store as its inbox: where the ids of handled messages,
 * the parked messages and every effect of a handler commit together.
 * Stores that hold a log and documents in one database implement it with
 * one transaction (`sqliteInbox`, `postgresInbox`); {@link documentsInbox}
 * serves any document store, for consumers that only write documents.
 */
export interface InboxStore {
  /** The consumer's documents: its read model, the inbox and the parked messages. */
  readonly documents: DocumentStore
  /** The consumer's log, which commands read; `undefined` when the store holds documents only. */
  readonly events: EventStore | undefined
  /**
   * Everything of `request` in one transaction, or nothing (when
   * `documents.capabilities.transactions`; otherwise the writes go in
   * order, and the consumer makes each idempotent).
   * @throws `ConcurrencyError` when a stream is not at an append's expected revision; `DocumentConflictError` when a document (an inbox record: the message was handled meanwhile) is not at its expected revision.
   */
  commit(request: InboxCommitRequest): Promise<void>
}
