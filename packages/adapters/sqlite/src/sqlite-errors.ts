import { ConcurrencyError, EventfoldError, PermanentStoreError, type ExpectedRevision } from '@eventfold/core'

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
export const translateSqliteError = (error: unknown, attempt: AppendAttempt, path: string): unknown => {
  const code = sqliteCode(error)
  if (code !== undefined && CONFLICT_CODES.has(code)) {
    return new ConcurrencyError(attempt.streamId, attempt.expected, attempt.currentRevision(), { cause: error })
  }
  return permanentSqliteError(error, path) ?? error
}

/** Primary result codes that no retry can fix, with what they mean for the file. */
const PERMANENT: Readonly<Record<string, string>> = {
  SQLITE_READONLY: 'is read-only',
  SQLITE_FULL: 'cannot grow: the disk is full',
  SQLITE_CORRUPT: 'is corrupt',
  SQLITE_NOTADB: 'is not an SQLite database',
  SQLITE_CANTOPEN: 'cannot be opened',
  SQLITE_PERM: 'may not be accessed',
}

/**
 * The {@link PermanentStoreError} a driver error means (read-only file, full
 * disk, corrupt or foreign file), by its result code; `undefined` for errors
 * a retry may fix and for non-driver errors.
 */
export const permanentSqliteError = (error: unknown, path: string): PermanentStoreError | undefined => {
  const code = sqliteCode(error)
  if (code === undefined) return undefined
  // Extended codes (SQLITE_READONLY_DIRECTORY) carry their primary code as a prefix.
  const primary = code.match(/^SQLITE_[A-Z]+/)![0]
  const problem = PERMANENT[primary]
  return problem === undefined ? undefined : new PermanentStoreError('SQLite', path, problem, code, { cause: error })
}

/**
 * A read-only connection found no tables of a schema module (e.g. a log
 * whose projections never ran has no document tables). Readers may treat
 * the module as empty.
 */
export class SqliteSchemaMissingError extends EventfoldError {
  readonly type = 'sqlite-schema-missing' as const
  constructor(
    readonly path: string,
    readonly module: string,
  ) {
    super(`SQLite file ${path} has no '${module}' tables yet, and a read-only connection cannot create them`)
  }
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
