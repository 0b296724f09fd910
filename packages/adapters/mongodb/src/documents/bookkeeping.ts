import type { ObjectId } from 'mongodb'
import { assertJsonSafe } from '@eventfold/core/spi'
import { InvalidDocumentOperationError, type Document } from '@eventfold/projections'
import { type DocumentMeta, type DocumentWrite, type StoredDocument } from '@eventfold/projections/spi'
import type { StoredState } from '../mongo-errors'

/**
 * The one field eventfold adds to a read-model document: everything else is
 * the read model's own, at the top level, for applications to query directly.
 */
export const BOOKKEEPING_FIELD = '_ef'

/** The bookkeeping as stored in `_ef`. */
export interface StoredBookkeeping {
  /** {@link DocumentMeta.revision}: the compare-and-set revision. */
  readonly rev: number
  /** {@link DocumentMeta.positions}: partition key → position (decimal string). */
  readonly pos: Readonly<Record<string, string>>
  /**
   * The commit that wrote this revision. Without transactions it tells which
   * writes of a commit took effect when the server reports fewer than sent;
   * its timestamp says when the document was last written.
   */
  readonly commit: ObjectId
}

/** A document as it lies in its collection. */
export type MongoDocument = Document & { readonly [BOOKKEEPING_FIELD]?: StoredBookkeeping }

/** Projection that leaves the bookkeeping out of `get` and `find`. */
export const WITHOUT_BOOKKEEPING = { [BOOKKEEPING_FIELD]: 0 } as const

/** Projection that reads only the bookkeeping needed to judge a write. */
export const STATE_ONLY = { [`${BOOKKEEPING_FIELD}.rev`]: 1, [`${BOOKKEEPING_FIELD}.commit`]: 1 } as const

/** The document to store for a put: its own fields, then `_ef`. */
export const toMongoDocument = (doc: Document, meta: DocumentMeta, commit: ObjectId): MongoDocument => ({
  ...doc,
  [BOOKKEEPING_FIELD]: { rev: meta.revision, pos: meta.positions, commit },
})

/**
 * A stored document split into the read model's document and its bookkeeping.
 * A document eventfold never wrote (inserted by another program) is at
 * revision 0 with no positions: a batch then writes it expecting revision 0.
 */
export const fromMongoDocument = (stored: MongoDocument): StoredDocument => {
  const { [BOOKKEEPING_FIELD]: ef, ...doc } = stored
  return { doc: doc as Document, meta: { revision: ef?.rev ?? 0, positions: ef?.pos ?? {} } }
}

/** The state of a document read with {@link STATE_ONLY}. */
export const storedState = (stored: MongoDocument | undefined): StoredState => {
  if (!stored) return { exists: false }
  const ef = stored[BOOKKEEPING_FIELD]
  return { exists: true, revision: ef?.rev, commit: ef?.commit?.toHexString() }
}

/**
 * Checks a write before anything of its commit is sent, so that bad input
 * changes nothing: a document must be JSON (as in every store), must not
 * carry the bookkeeping field or a top-level `$` field, and partition keys
 * must be usable as field names.
 * @throws {@link InvalidDocumentOperationError}
 * @throws {@link SerializationError} for a value JSON cannot hold (BigInt, NaN, a cycle…).
 */
export const assertWritable = (write: DocumentWrite): void => {
  const { collection } = write
  const id = write.kind === 'put' ? write.doc._id : write.id
  if (typeof id !== 'string' || id === '') throw new InvalidDocumentOperationError('document id must be a non-empty string', collection)
  if (!Number.isSafeInteger(write.expectedRevision) || write.expectedRevision < 0) {
    throw new InvalidDocumentOperationError(`expected revision ${write.expectedRevision} is not a revision`, collection, id)
  }
  if (write.kind === 'delete') return
  for (const field of Object.keys(write.doc)) {
    if (field === BOOKKEEPING_FIELD) throw new InvalidDocumentOperationError(`'${BOOKKEEPING_FIELD}' is reserved for eventfold's bookkeeping`, collection, id)
    if (field.startsWith('$')) throw new InvalidDocumentOperationError(`a top-level field cannot start with '$' ('${field}')`, collection, id)
  }
  for (const key of Object.keys(write.meta.positions)) {
    if (key === '' || key.includes('.') || key.startsWith('$')) {
      throw new InvalidDocumentOperationError(`partition key '${key}' cannot be a field name (empty, '.' or leading '$')`, collection, id)
    }
  }
  assertJsonSafe(write.doc, `${collection}/${id}`)
}
