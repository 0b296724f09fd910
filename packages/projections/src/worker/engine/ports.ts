/**
 * Where a worker's events come from: a checkpointed subscription, the
 * deliveries of a consumer group, a broker topic.
 */
export interface EngineSource<T> {
  /**
   * The next items, up to `maxCount`, as soon as there is one, waiting at
   * most `maxWaitMs` after the first for more; fewer or none when `wake`
   * resolves first, none once the source has ended. An item is never lost
   * to a timeout or a wake: the next read returns it.
   */
  read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly T[]>
  /** True once nothing more will come: the source ended, or caught up in a run that stops at the head. */
  readonly finished: boolean
  /**
   * The open batch's items again, in order, from `first` through `last`, so
   * that a batch is redone without holding its items. Without it the engine
   * keeps each open batch's items in memory.
   */
  replay?(first: T, last: T): AsyncIterable<readonly T[]>
}

/** One try at the open batch: the handler's effects on fresh reads of the store, not committed yet. */
export interface BatchAttempt<T> {
  /** Called before a chunk of items is applied, e.g. to load what those items need. */
  prepare?(items: readonly T[]): Promise<void>
  /** False for an item this worker reads but does not apply (another partition's, one already applied, of another type). */
  accepts(item: T): boolean
  /** Runs the handler of `item` into the attempt; throws when it fails. */
  apply(item: T): Promise<void> | void
  /** `item` is parked: it is not applied, and the commit records it as parked. */
  park(item: T, error: unknown, attempts: number): void
  /**
   * Settles what `apply` left pending (reads of the documents touched); an
   * attempt that writes no documents (its effect is a handler call or a
   * publish) has nothing to settle.
   * @throws {@link DocumentOperationError} naming the event whose operation failed.
   */
  settle?(): Promise<void>
  /** The key of the item that last wrote a document, blamed when the store refuses that document; absent when the attempt writes none. */
  lastWriterOf?(collection: string, id: string): bigint | undefined
}

/** The open batch, as the sink sees it at commit. */
export interface OpenBatch<T> {
  readonly first: T
  readonly last: T
  /** The batch's items, when the engine keeps them (a source without `replay`). */
  readonly items: readonly T[] | undefined
}

/** Where a worker's effects go: a document batch and what records progress (a checkpoint, stream markers and acks). */
export interface EngineSink<T, A extends BatchAttempt<T>> {
  /** A fresh attempt at the open batch; `first` for the first attempt of a batch (which may reuse documents of the last commit). */
  begin(first: boolean): A
  /**
   * Commits the attempt with what records the batch as done.
   * @returns the writes sent and the items the commit parked.
   * @throws {@link DocumentOperationError}, {@link DocumentConflictError}, {@link DocumentRejectedError},
   * {@link DuplicateDocumentError} and a `ConcurrencyError` (an append the sink commits with the batch)
   * for the engine to redo the batch; anything else is an outage, retried.
   */
  commit(attempt: A, batch: OpenBatch<T>): Promise<{ writes: number; parked: number }>
  /** After a commit: acknowledge deliveries, keep documents for the next batch. */
  committed?(attempt: A, batch: OpenBatch<T>): Promise<void>
  /**
   * Between batches, with nothing open: e.g. move a checkpoint past events
   * that were not this worker's. `beforeCommit` runs the engine's checks.
   */
  idle?(beforeCommit: () => Promise<void>): Promise<void>
  /** True when a failed commit stored nothing (the store has transactions): it is sent again as it is, not rebuilt. */
  readonly atomic: boolean
}
