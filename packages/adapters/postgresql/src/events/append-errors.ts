import { ConcurrencyError, SerializationError, ValidationError, type ExpectedRevision } from '@eventfold/core'
import { matchesExpectedRevision } from '@eventfold/core/spi'
import { pgErrorFacts, SQLSTATE } from '../pg/pg-errors'
import { EVENT_ID_CONSTRAINT, STREAM_REVISION_CONSTRAINT } from './event-schema'

/** What the stream looked like when an append was refused. */
export interface RefusedAppend {
  readonly streamId: string
  readonly expected: ExpectedRevision
  /** The stream's revision read after the refusal; `undefined` when it does not exist. */
  readonly actual: bigint | undefined
  /** Event ids of the append that are already stored (and the append is not a retry of the one that stored them). */
  readonly storedIds: readonly string[]
}

/** The append lost a race that its expected revision allows (e.g. `'any'`): run it again. */
export const RETRY_APPEND = Symbol('retry append')

/**
 * What a refused append means, as the eventfold error to throw, or
 * {@link RETRY_APPEND}. This is the one place that reads driver errors of
 * appends, by SQLSTATE and constraint name, never by message:
 * - 23505 on (stream_id, revision): another append stored that revision
 *   first. A `ConcurrencyError` with the actual revision, unless the
 *   expected revision still holds (`'any'`, `'stream_exists'`): then retry.
 * - 23505 on event_id: the event ids are stored already, and not as the
 *   same append (that retry was recognised before): a `ValidationError`.
 * - 22P05 / 22P02: a payload jsonb cannot hold (`\u0000`, a lone surrogate):
 *   a `SerializationError`.
 * - No error at all (the statement inserted nothing): the stream was not at
 *   the expected revision when the statement ran.
 * Anything else is returned unchanged. `refused` holds the facts read after
 * a refusal; without them only payload errors are translated.
 */
export const translateAppendError = (error: unknown, refused?: RefusedAppend): unknown => {
  const facts = error === undefined ? undefined : pgErrorFacts(error)
  const cause = error === undefined ? undefined : { cause: error }
  if (facts?.code === SQLSTATE.untranslatableCharacter || facts?.code === SQLSTATE.invalidTextRepresentation) {
    return new SerializationError('a payload cannot be stored as jsonb (e.g. it holds \\u0000)', '', undefined, cause)
  }
  const conflict = error === undefined || (facts?.code === SQLSTATE.uniqueViolation && isAppendConstraint(facts.constraint))
  if (!conflict || !refused) return error
  const { streamId, expected, actual, storedIds } = refused
  if (!matchesExpectedRevision(expected, actual)) return new ConcurrencyError(streamId, expected, actual, cause)
  if (storedIds.length > 0) {
    return new ValidationError(
      `Event id ${storedIds[0]} is already stored`,
      storedIds.map(() => ({ path: 'metadata.eventId', message: 'duplicate' })),
    )
  }
  return RETRY_APPEND
}

/** True when the driver error is a unique index of the event table refusing an append (so worth explaining). */
export const isAppendConflict = (error: unknown): boolean => {
  const facts = pgErrorFacts(error)
  return facts?.code === SQLSTATE.uniqueViolation && isAppendConstraint(facts.constraint)
}

const isAppendConstraint = (constraint: string | undefined): boolean =>
  constraint === STREAM_REVISION_CONSTRAINT || constraint === EVENT_ID_CONSTRAINT
