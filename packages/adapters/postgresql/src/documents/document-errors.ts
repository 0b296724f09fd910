import { DocumentRejectedError, DuplicateDocumentError } from '@eventfold/projections'
import { pgErrorFacts, SQLSTATE } from '../pg/pg-errors'
import { UNIQUE_INDEX_PREFIX } from './unique-index'

/**
 * Translates a driver error thrown while writing document `id` of
 * `collection` into the eventfold error it means, by SQLSTATE and constraint
 * name, never by message:
 * - 23505 on one of the declared unique indexes: a `DuplicateDocumentError`
 *   (the primary key never raises it: writes use `ON CONFLICT DO NOTHING` and
 *   compare-and-set, whose misses are conflicts, not errors);
 * - 22P05 / 22P02: a value jsonb cannot hold (`\u0000`, a lone surrogate), and
 *   54000: a value too large for an index of the collection: a
 *   `DocumentRejectedError` (the content is at fault, not the server).
 * Other errors are returned as they are.
 */
export const translateDocumentError = (error: unknown, collection: string, id: string): unknown => {
  const facts = pgErrorFacts(error)
  if (isDocumentIndexViolation(error)) return new DuplicateDocumentError(collection, id)
  if (facts?.code === SQLSTATE.untranslatableCharacter || facts?.code === SQLSTATE.invalidTextRepresentation) {
    return new DocumentRejectedError(collection, id, `jsonb cannot hold a value of it (e.g. \\u0000; SQLSTATE ${facts.code})`, { cause: error })
  }
  if (facts?.code === SQLSTATE.programLimitExceeded) {
    return new DocumentRejectedError(collection, id, `a value of it is too large for an index of the collection (SQLSTATE ${facts.code})`, { cause: error })
  }
  return error
}

/** True when a declared unique index refused a row (at a write, or while the index was built). */
export const isDocumentIndexViolation = (error: unknown): boolean => {
  const facts = pgErrorFacts(error)
  return facts?.code === SQLSTATE.uniqueViolation && (facts.constraint?.startsWith(UNIQUE_INDEX_PREFIX) ?? false)
}

/** True for errors that a write-by-write rerun of a commit explains with the document that caused them. */
export const isDocumentWriteError = (error: unknown): boolean => {
  const code = pgErrorFacts(error)?.code
  return (
    isDocumentIndexViolation(error) ||
    code === SQLSTATE.untranslatableCharacter ||
    code === SQLSTATE.invalidTextRepresentation ||
    code === SQLSTATE.programLimitExceeded
  )
}

/**
 * True when PostgreSQL aborted the transaction because of a concurrent one:
 * a deadlock victim (40P01) or a serialization failure (40001, under
 * REPEATABLE READ or SERIALIZABLE). Nothing of the commit is stored; the
 * documents moved under it, as when a compare-and-set misses, and the
 * commit can be computed again from fresh reads.
 */
export const isTransactionConflict = (error: unknown): boolean => {
  const code = pgErrorFacts(error)?.code
  return code === SQLSTATE.deadlockDetected || code === SQLSTATE.serializationFailure
}
