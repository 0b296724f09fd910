import { ConcurrencyError, InMemoryEventStore, type EventStore } from '@eventfold/core'
import { matchesExpectedRevision } from '@eventfold/core/spi'
import { InMemoryDocumentStore, type DocumentStore } from '@eventfold/projections'
import type { InboxCommitRequest, InboxStore } from '../inbox/inbox-store'

/**
 * An inbox over an in-memory event store and document store, for unit
 * tests in one process: the appends' expected revisions are checked and the
 * documents committed before anything is appended, so a refused commit
 * stores nothing. A test double: it does not guard against another writer
 * between the check and the appends.
 * @example
 * ```ts
 * const worker = new ConsumerWorker(billing, new InMemoryTransport(), inMemoryInbox(), { aggregates: [Invoice] })
 * ```
 */
export const inMemoryInbox = ({ events = new InMemoryEventStore(), documents = new InMemoryDocumentStore() }: { events?: EventStore; documents?: DocumentStore } = {}): InboxStore => ({
  events,
  documents,
  async commit({ appends, ...request }: InboxCommitRequest): Promise<void> {
    const heads = new Map<string, bigint | undefined>()
    for (const a of appends) {
      const current = heads.has(a.streamId) ? heads.get(a.streamId) : await events.streamRevision(a.streamId)
      if (!matchesExpectedRevision(a.expectedRevision, current)) throw new ConcurrencyError(a.streamId, a.expectedRevision, current)
      heads.set(a.streamId, (current ?? -1n) + BigInt(a.events.length))
    }
    await documents.commit(request)
    for (const a of appends) await events.appendToStream(a.streamId, a.events, { expectedRevision: a.expectedRevision })
  },
})
