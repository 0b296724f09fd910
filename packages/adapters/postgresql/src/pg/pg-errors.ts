/** The SQLSTATE codes eventfold reacts to. */
export const SQLSTATE = {
  /** A unique index refused a row. */
  uniqueViolation: '23505',
  /** Text that PostgreSQL cannot store, e.g. `\u0000` or a lone surrogate in a JSON string. */
  untranslatableCharacter: '22P05',
  /** Malformed text for a type, e.g. invalid JSON. */
  invalidTextRepresentation: '22P02',
  /** A value over a limit of the server, e.g. an index row larger than a btree page allows. */
  programLimitExceeded: '54000',
  /** The transaction could not be serialized with a concurrent one (REPEATABLE READ, SERIALIZABLE). */
  serializationFailure: '40001',
  /** The transaction was chosen as the victim of a deadlock. */
  deadlockDetected: '40P01',
} as const

/** The fields of a pg `DatabaseError` eventfold reads: its SQLSTATE and, for constraint violations, the constraint. */
export interface PgErrorFacts {
  readonly code: string
  readonly constraint: string | undefined
}

/**
 * The SQLSTATE and constraint of a driver error, read from its shape (not
 * with `instanceof DatabaseError`, which a second copy of pg would not
 * recognise); `undefined` for anything that is not a server error.
 */
export const pgErrorFacts = (error: unknown): PgErrorFacts | undefined => {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, constraint, severity } = error as { code?: unknown; constraint?: unknown; severity?: unknown }
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || typeof severity !== 'string') return undefined
  return { code, constraint: typeof constraint === 'string' ? constraint : undefined }
}
