import type { Document, Filter, FindOptions, IndexSpec } from './document'

/**
 * Bookkeeping stored beside each document so that a batch can be re-applied
 * after a crash without double-applying: per partition, the position of the
 * last event applied to this document; and a revision for compare-and-set,
 * because documents may be shared by partitions running in parallel.
 */
export interface DocumentMeta {
  /** Incremented by every write; writes carry the revision they read. */
  readonly revision: number
  /** Partition key (e.g. `'0/4'`) → position (decimal string) of the last event applied by that partition. */
  readonly positions: Readonly<Record<string, string>>
}

/** A document as stored, with its bookkeeping. */
export interface StoredDocument {
  readonly doc: Document
  readonly meta: DocumentMeta
}

/** One write of a batch commit. `expectedRevision` 0 means "must not exist". */
export type DocumentWrite =
  | {
      readonly kind: 'put'
      readonly collection: string
      readonly doc: Document
      readonly meta: DocumentMeta
      readonly expectedRevision: number
    }
  | {
      readonly kind: 'delete'
      readonly collection: string
      readonly id: string
      readonly expectedRevision: number
    }

/** A checkpoint to store with a batch. */
export interface CheckpointWrite {
  readonly name: string
  readonly position: bigint
}

/**
 * A read model shown to the store's own clients (psql, sqlite3, mongosh)
 * under the collection name its projection declares.
 */
export interface PublishedReadModel {
  /** The declared collection name, e.g. `account_balances`. */
  readonly name: string
  /** The collection of the active generation that `name` shows, e.g. `account_balances__2`. */
  readonly collection: string
}

/** Everything one batch commits. */
export interface CommitRequest {
  readonly writes: readonly DocumentWrite[]
  readonly checkpoint?: CheckpointWrite
  /**
   * A write the whole commit depends on, e.g. a worker's lease renewal: when
   * its revision is not the expected one, nothing of the commit is written,
   * with or without transactions (stores without them write it first).
   */
  readonly fence?: DocumentWrite
  /**
   * Read models to show under their declared names from now on (each store
   * documents how: a view in SQL stores). With transactions they move in the
   * commit's transaction, so outside readers follow the projection state
   * written with them; without, they move after the writes.
   */
  readonly publish?: readonly PublishedReadModel[]
}

/** What a commit did. */
export interface CommitResult {
  /** Number of write operations sent to the database (documents written). */
  readonly writes: number
}

/** What a document store can guarantee. */
export interface DocumentStoreCapabilities {
  /**
   * Writes and checkpoint of one commit are atomic. Without it, commits write
   * documents first and the checkpoint last; the per-partition positions in
   * {@link DocumentMeta} make a batch redone after a crash skip what it already applied.
   */
  readonly transactions: boolean
}

/**
 * The port every read-model store implements. Semantics of filters, sorting
 * and update operators are MongoDB's in every store.
 */
export interface DocumentStore {
  readonly capabilities: DocumentStoreCapabilities

  /** One document, without bookkeeping. */
  get(collection: string, id: string): Promise<Document | undefined>
  /** Several documents with their bookkeeping, for a batch to update. Missing ids are absent from the map. */
  getMany(collection: string, ids: readonly string[]): Promise<Map<string, StoredDocument>>
  /** Documents matching `filter`. */
  find(collection: string, filter?: Filter, options?: FindOptions): Promise<Document[]>
  count(collection: string, filter?: Filter): Promise<number>

  /**
   * Applies a batch of writes and (optionally) a checkpoint.
   * @throws {@link DocumentConflictError} when a document's revision is not the expected one;
   * with transactions nothing was written, without them earlier writes may be.
   */
  commit(request: CommitRequest): Promise<CommitResult>

  /** The stored checkpoint of a subscriber, or `undefined`. */
  readCheckpoint(name: string): Promise<bigint | undefined>
  /** Removes checkpoints (exact names). */
  deleteCheckpoints(names: readonly string[]): Promise<void>
  /** Checkpoints whose name starts with `prefix`. */
  listCheckpoints(prefix: string): Promise<Map<string, bigint>>

  /** Creates indexes (idempotent). */
  ensureIndexes(indexes: readonly IndexSpec[]): Promise<void>
  /** Removes a collection and its documents (no error when missing). */
  dropCollection(collection: string): Promise<void>
  /** Collections whose name starts with `prefix`. */
  listCollections(prefix?: string): Promise<string[]>

  close(): Promise<void>
}
