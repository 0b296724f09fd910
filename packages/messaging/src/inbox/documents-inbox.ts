import type { DocumentStore } from '@eventfold/projections'
import { InboxAppendUnsupportedError } from '../errors'
import type { InboxCommitRequest, InboxStore } from './inbox-store'

/**
 * The inbox of a consumer that only writes documents, on any document
 * store: with transactions (SQLite, PostgreSQL, MongoDB on a replica set)
 * the inbox record commits with the documents; without (a standalone
 * MongoDB, FerretDB) the consumer makes each write idempotent instead.
 * @example
 * ```ts
 * const worker = new ConsumerWorker(consumer, transport, documentsInbox(documents))
 * ```
 */
export const documentsInbox = (documents: DocumentStore): InboxStore => ({
  documents,
  events: undefined,
  async commit({ appends, ...request }: InboxCommitRequest): Promise<void> {
    // The consumer refuses appends before they reach a commit; this guards a caller of the SPI.
    if (appends.length > 0) throw new InboxAppendUnsupportedError('(documents inbox)', `an append to '${appends[0]!.streamId}'`)
    await documents.commit(request)
  },
})
