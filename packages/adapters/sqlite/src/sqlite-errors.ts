import { ConcurrencyError, type ExpectedRevision } from '@eventfold/core'

/** What an append was trying to do when the driver failed. */
export interface AppendAttempt {
  readonly streamId: string
  readonly expected: ExpectedRevision
  /** Reads the stream's revision now, for the error. */
  readonly currentRevision: () => bigint | undefined
}

/**
 * Codes that mean "another writer stored this first". An append checks the
 * expected revision and every event id inside its IMMEDIATE transaction, so
 * with only eventfold writing these cannot happen; when something else wrote
 * to the table, the unique (stream_id, revision) index still refuses a second
 * event at a revision, and that is a lost race, i.e. a concurrency conflict.
 */
const CONFLICT_CODES: ReadonlySet<string> = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'])

/**
 * Translates a better-sqlite3 error thrown by an append into the eventfold
 * error it means, by its extended result code, never by its message.
 * Errors that mean nothing more specific (e.g. `SQLITE_BUSY` after the busy
 * timeout, `SQLITE_FULL`) and non-driver errors are returned unchanged.
 */
export const translateSqliteError = (error: unknown, attempt: AppendAttempt): unknown => {
  const code = sqliteCode(error)
  if (code !== undefined && CONFLICT_CODES.has(code)) {
    return new ConcurrencyError(attempt.streamId, attempt.expected, attempt.currentRevision(), { cause: error })
  }
  return error
}

/**
 * The extended result code of a driver error. Read from the error's shape, not
 * with `instanceof SqliteError`: the native addon keeps the class of the first
 * copy of better-sqlite3 that loaded it, so a second copy (or a second module
 * registry, as in jest) would not recognise its errors.
 */
export const sqliteCode = (error: unknown): string | undefined => {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}
