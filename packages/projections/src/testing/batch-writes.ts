import { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import type { Documents } from '../documents/documents'

/** One event of {@link batchWrites}: its position and what its handler does to the read model. */
export type BatchEvent = readonly [position: bigint, handle: (documents: Documents) => void]

/** Options of {@link batchWrites}. */
export interface BatchWritesOptions {
  /**
   * The partition whose positions the writes record in each document's bookkeeping.
   * @default '0/1'
   */
  readonly partition?: string
}

/**
 * The writes a projection worker would commit for one batch of `events`:
 * each touched document read once from `store`, the operations applied in
 * event order, one write per changed document. A DocumentStore adapter's
 * tests commit them to check crash recovery and bookkeeping as a worker
 * would exercise them.
 * @example
 * const writes = await batchWrites(store, 'accounts', [[7n, (d) => d.update('a1', { $inc: { balance: 5 } })]])
 * await store.commit({ writes })
 */
export const batchWrites = async (
  store: DocumentStore,
  collection: string,
  events: Iterable<BatchEvent>,
  { partition = '0/1' }: BatchWritesOptions = {},
): Promise<DocumentWrite[]> => {
  const batch = new DocumentBatch(store, (logical) => logical, partition, collection)
  for (const [position, handle] of events) {
    batch.setPosition(position)
    handle(batch.documents())
  }
  return batch.collectWrites()
}
