import { DuplicateDocumentError } from '@eventfold/projections'
import { sqliteCode } from '../sqlite-errors'

/**
 * Translates a better-sqlite3 error thrown while writing document `id` of
 * `collection` into the eventfold error it means, by its extended result
 * code, never by its message. Only the unique indexes declared through
 * `ensureIndexes` raise `SQLITE_CONSTRAINT_UNIQUE` (the primary key raises
 * `SQLITE_CONSTRAINT_PRIMARYKEY`, and writes never collide on it), so that
 * code is a {@link DuplicateDocumentError}. Other errors are returned as they are.
 */
export const translateDocumentError = (error: unknown, collection: string, id: string): unknown => {
  if (isUniqueViolation(error)) {
    return new DuplicateDocumentError(collection, id)
  }
  return error
}

/** True when `error` is SQLite refusing a row for a unique index (at a write or when building the index). */
export const isUniqueViolation = (error: unknown): boolean => sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE'
