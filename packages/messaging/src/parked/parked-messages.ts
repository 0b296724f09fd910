import { DocumentConflictError, type DocumentStore } from '@eventfold/projections'
import { ParkedMessageNotFoundError } from '../errors'
import { PARKED_COLLECTION, parkedFromDocument, recordId, unparkWrite, type ParkedMessage } from '../inbox/inbox-records'

/**
 * The parked messages in a consumer's store: list them, and discard one.
 * Retrying applies the consumer's handler, so it is
 * {@link ConsumerWorker.retryParked}.
 * @example
 * ```ts
 * for (const p of await new ParkedMessages(documents).list({ consumer: 'billing' })) console.log(p.id, p.error.message)
 * ```
 */
export class ParkedMessages {
  constructor(private readonly documents: DocumentStore) {}

  /** Parked messages, oldest first, of one consumer or all. */
  async list({ consumer }: { consumer?: string } = {}): Promise<ParkedMessage[]> {
    const docs = await this.documents.find(PARKED_COLLECTION, consumer === undefined ? {} : { consumer }, { sort: { parkedAt: 1, _id: 1 } })
    return docs.map(parkedFromDocument)
  }

  /**
   * One parked message.
   * @throws {@link ParkedMessageNotFoundError} when it is not parked.
   */
  async get(consumer: string, id: string): Promise<ParkedMessage> {
    const doc = await this.documents.get(PARKED_COLLECTION, recordId(consumer, id))
    if (!doc) throw new ParkedMessageNotFoundError(consumer, id)
    return parkedFromDocument(doc)
  }

  /**
   * Drops a parked message: it stays in the inbox, so it is never applied.
   * @throws {@link ParkedMessageNotFoundError} when it is not parked (a second discard, or after a retry).
   */
  async discard(consumer: string, id: string): Promise<void> {
    // A concurrent retry may remove the record, or a failed one park it anew, between the read and the removal: read again.
    for (;;) {
      const stored = (await this.documents.getMany(PARKED_COLLECTION, [recordId(consumer, id)])).get(recordId(consumer, id))
      if (!stored) throw new ParkedMessageNotFoundError(consumer, id)
      try {
        await this.documents.commit({ writes: [unparkWrite(stored)] })
        return
      } catch (error) {
        if (!(error instanceof DocumentConflictError)) throw error
      }
    }
  }
}
