import { MongoServerError } from 'mongodb'
import { DocumentConflictError, DocumentRejectedError, DuplicateDocumentError, InvalidDocumentOperationError } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'

/** The server error codes this package acts on (MongoDB's numbering, which FerretDB follows). */
export const MongoErrorCode = {
  /** A collection or database that does not exist (`drop` before MongoDB 7). */
  NamespaceNotFound: 26,
  /** An index with the same keys exists under another name. */
  IndexOptionsConflict: 85,
  /** An index with the same name exists on other keys or options. */
  IndexKeySpecsConflict: 86,
  /** E11000: a write (or an index build) hit a unique index, `_id` included. */
  DuplicateKey: 11000,
  /** `create` of a collection or view whose name is taken. */
  NamespaceExists: 48,
  /** A command or option the server does not implement (FerretDB 1.x: views, `collMod`). */
  NotImplemented: 238,
} as const

/**
 * Codes of a write the server refuses for the document it carries: a key or
 * value it cannot hold (FerretDB reports a nested `$` or `.` key as BadValue),
 * a failed schema validation, a document over the size limit. Sending it
 * again fails the same way, unlike an outage.
 */
const CONTENT_REFUSED: ReadonlyMap<number, string> = new Map([
  [2, 'BadValue'],
  [52, 'DollarPrefixedFieldName'],
  [57, 'DottedFieldName'],
  [121, 'DocumentValidationFailure'],
  [10334, 'BSONObjectTooLarge'],
  [17419, 'DocumentTooLarge'],
  [17280, 'KeyTooLong'],
])

/** The numeric code of a server error, or `undefined` for anything else. */
export const serverErrorCode = (error: unknown): number | undefined =>
  error instanceof MongoServerError && typeof error.code === 'number' ? error.code : undefined

/**
 * What is stored under a document's `_id` when a write is judged: nothing,
 * a document eventfold never wrote (no bookkeeping, read as revision 0), or
 * one at an eventfold revision, with the commit that wrote it.
 */
export type StoredState =
  | { readonly exists: false }
  | { readonly exists: true; readonly revision: number | undefined; readonly commit: string | undefined }

/** The revision a {@link DocumentConflictError} reports for a state: a document without bookkeeping is at 0. */
export const actualRevision = (state: StoredState): number | undefined => (state.exists ? (state.revision ?? 0) : undefined)

/** Where a server error happened, with the facts looked up to judge it. */
export type ErrorContext =
  | {
      readonly kind: 'write'
      readonly write: DocumentWrite
      /** The document's state, read after the failure. */
      readonly state: StoredState
      /** Another document holding the value the write would have put under a unique index, when one was looked up and found. */
      readonly uniqueHolder?: string | undefined
    }
  | {
      readonly kind: 'index'
      readonly collection: string
      readonly indexes: readonly string[]
      /** A document whose key another one already has, when the build of a unique index failed and one was found. */
      readonly duplicateId: string | undefined
    }

/**
 * Translates a server error into the eventfold error it means, by its code
 * and the facts of its context, never by its message. Anything else is
 * returned as it is.
 *
 * - A write's E11000 is a {@link DocumentConflictError} when the `_id` was
 *   taken (a put expecting no document met one eventfold wrote), otherwise
 *   a {@link DuplicateDocumentError} (a unique index from `ensureIndexes`);
 *   so is any error of a write whose unique key another document was found
 *   to hold (FerretDB fails an update that breaks a unique index with an
 *   internal error instead of E11000).
 * - An index whose name or keys clash with an existing one (85, 86) is an
 *   {@link InvalidDocumentOperationError}; a unique index that cannot be
 *   built because two documents share a key is a {@link DuplicateDocumentError}
 *   naming one of them (FerretDB reports that build failure as an internal
 *   error rather than E11000, so the duplicate is looked up, not inferred).
 */
export const translateMongoError = (code: number | undefined, cause: unknown, context: ErrorContext): unknown => {
  if (context.kind === 'write') {
    const { write, state, uniqueHolder } = context
    const id = write.kind === 'put' ? write.doc._id : write.id
    const refused = code === undefined ? undefined : CONTENT_REFUSED.get(code)
    if (refused !== undefined && uniqueHolder === undefined) {
      return new DocumentRejectedError(write.collection, id, `${refused} (${code}): ${(cause as Error)?.message ?? ''}`, { cause })
    }
    if (code !== MongoErrorCode.DuplicateKey && uniqueHolder === undefined) return cause
    const idTaken = write.kind === 'put' && write.expectedRevision === 0 && state.exists && state.revision !== undefined
    if (idTaken) return new DocumentConflictError(write.collection, id, write.expectedRevision, actualRevision(state), { cause })
    return new DuplicateDocumentError(write.collection, id)
  }
  if (code === MongoErrorCode.IndexOptionsConflict || code === MongoErrorCode.IndexKeySpecsConflict) {
    const codeName = (cause as MongoServerError).codeName ?? String(code)
    return new InvalidDocumentOperationError(
      `index ${context.indexes.map((n) => `'${n}'`).join(', ')} clashes with an existing index of the same name or keys (${codeName})`,
      context.collection,
    )
  }
  if (context.duplicateId !== undefined) return new DuplicateDocumentError(context.collection, context.duplicateId)
  return cause
}
