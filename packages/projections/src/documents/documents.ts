import type { Document, Filter, FindOptions, UpdateSpec } from './document'

/** Options of {@link Documents.update}. */
export interface UpdateOptions {
  /** Create the document when it does not exist (MongoDB's upsert). @default false */
  readonly upsert?: boolean
}

/**
 * What a projection handler writes through: MongoDB-style operations on one
 * collection of its read model. Writes are recorded at once and committed
 * with the batch; `get` and `find` see the batch's own earlier writes.
 */
export interface Documents {
  /** The collection these operations target (its logical name). */
  readonly name: string
  /** The same batch, another collection of this projection. */
  collection(name: string): Documents
  /** Inserts a new document; a document with the same `_id` makes the event fail. */
  insert(doc: Document): void
  /** Applies update operators to one document. */
  update(id: string, update: UpdateSpec, options?: UpdateOptions): void
  /** `update` with `upsert: true`. */
  upsert(id: string, update: UpdateSpec): void
  /** Replaces one document entirely (creating it when missing). */
  replace(id: string, doc: Omit<Document, '_id'> & { _id?: string }): void
  /** Deletes one document (no error when missing). */
  delete(id: string): void
  /** One document as this batch sees it. */
  get(id: string): Promise<Document | undefined>
  /** Documents matching a MongoDB filter, as this batch sees them. */
  find(filter?: Filter, options?: FindOptions): Promise<Document[]>
}

/** One recorded operation, tagged with the event that made it. */
export type DocumentOperation =
  | { readonly kind: 'insert'; readonly doc: Document }
  | { readonly kind: 'update'; readonly update: UpdateSpec; readonly upsert: boolean }
  | { readonly kind: 'replace'; readonly doc: Document }
  | { readonly kind: 'delete' }
