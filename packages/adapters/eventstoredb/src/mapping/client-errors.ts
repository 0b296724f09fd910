import { ErrorType, type MaxAppendSizeExceededError, type WrongExpectedVersionError } from '@eventstore/db-client'
import { ConcurrencyError, ValidationError, type ExpectedRevision } from '@eventfold/core'
import { StreamTombstonedError } from '../errors'
import { fromEventStoreDBCurrentRevision } from './expected-revision'

/** The client's error type discriminant, when `error` is one of its command errors. */
const typeOf = (error: unknown): string | undefined =>
  error !== null && typeof error === 'object' && typeof (error as { type?: unknown }).type === 'string'
    ? (error as { type: string }).type
    : undefined

/**
 * The stream's revision named by a wrong-expected-version error, in either
 * client's shape: `actualVersion` (`@eventstore/db-client`) or
 * `actualState` (`@kurrent/kurrentdb-client`); `undefined` for no stream.
 */
export const currentRevisionOf = (error: unknown): bigint | undefined => {
  const e = error as { readonly actualVersion?: unknown; readonly actualState?: unknown }
  return fromEventStoreDBCurrentRevision((e.actualVersion ?? e.actualState) as WrongExpectedVersionError['actualVersion'] | undefined)
}

/** The KurrentDB client's type for a tombstoned stream (its newer append APIs report it apart from "deleted"). */
const STREAM_TOMBSTONED = 'stream-tombstoned'

/** True when a read failed because the stream does not exist or was deleted: such a stream reads as empty. */
export const isMissingStreamError = (error: unknown): boolean => {
  const type = typeOf(error)
  return type === ErrorType.STREAM_NOT_FOUND || type === ErrorType.STREAM_DELETED
}

/** True when the server refused the call to the connection's user (a secure server, a stream's ACL). */
export const isAccessDeniedError = (error: unknown): boolean => typeOf(error) === ErrorType.ACCESS_DENIED

/** True when the client's error says the stream is deleted (tombstoned, or soft-deleted for an append expecting `stream_exists`). */
export const isStreamDeletedError = (error: unknown): boolean => typeOf(error) === ErrorType.STREAM_DELETED

/** What was being done when the client failed: the facts the translated error needs. */
export interface ErrorContext {
  readonly streamId: string
  /** The expected revision of the write, when it was one. */
  readonly expected?: ExpectedRevision
  /**
   * What was written: an append (where the server also reports partially
   * stored batches as a wrong expected version) or a delete.
   * @default 'append'
   */
  readonly operation?: 'append' | 'delete'
  /**
   * Whether the stream is known to be tombstoned. The server refuses an
   * append expecting `stream_exists` to a soft-deleted stream with the same
   * "stream deleted" answer it gives for a tombstone; the caller that has
   * checked says `false`, and the refusal becomes a {@link ConcurrencyError}.
   * @default true
   */
  readonly tombstoned?: boolean
}

/**
 * The error for an append the server refused for its expected revision, the
 * stream being at `actual`. With `any`, or `stream_exists` of a stream that
 * exists, there is no revision to conflict with: the server refuses such an
 * append when the first event ids of the batch are already stored and the
 * rest are not ("corrupted idempotency"), which eventfold calls a
 * {@link ValidationError}. Otherwise it is a {@link ConcurrencyError}.
 */
export const refusedAppend = (
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | undefined,
  cause?: unknown,
): ConcurrencyError | ValidationError => {
  if (expected === 'any' || (expected === 'stream_exists' && actual !== undefined)) {
    return new ValidationError(`Some event ids of the batch for '${streamId}' are already stored and others are not`, [
      { path: 'metadata.eventId', message: 'partially stored' },
    ])
  }
  return new ConcurrencyError(streamId, expected, actual, cause === undefined ? undefined : { cause })
}

/**
 * The one place where client errors become eventfold errors, by the client's
 * error type and properties (never by message text):
 * - wrong expected version → for an append {@link refusedAppend}, for a
 *   delete a {@link ConcurrencyError}, with the stream's actual revision from
 *   `actualVersion` or `actualState` (`no_stream`/-1 → `undefined`);
 * - stream deleted → {@link StreamTombstonedError}, or, for a stream the
 *   caller found soft-deleted (`tombstoned: false`), a {@link ConcurrencyError}
 *   with no actual revision (the stream reads as missing);
 * - maximum append size exceeded → {@link ValidationError};
 * - anything else is returned unchanged (the client's errors carry a `type`).
 */
export const translateClientError = (error: unknown, { streamId, expected = 'any', operation = 'append', tombstoned = true }: ErrorContext): unknown => {
  switch (typeOf(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const actual = currentRevisionOf(error)
      return operation === 'append'
        ? refusedAppend(streamId, expected, actual, error)
        : new ConcurrencyError(streamId, expected, actual, { cause: error })
    }
    case STREAM_TOMBSTONED:
      return new StreamTombstonedError(streamId, { cause: error })
    case ErrorType.STREAM_DELETED:
      return tombstoned ? new StreamTombstonedError(streamId, { cause: error }) : new ConcurrencyError(streamId, expected, undefined, { cause: error })
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new ValidationError(
        `The batch for '${streamId}' is larger than the server's maximum append size (${(error as MaxAppendSizeExceededError).maxAppendSize} bytes)`,
      )
    default:
      return error
  }
}
