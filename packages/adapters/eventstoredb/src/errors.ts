import { EventfoldError } from '@eventfold/core'

/**
 * The stream was hard-deleted (tombstoned): it can never be written again,
 * and reads see nothing. Soft-deleted streams are not affected.
 */
export class StreamTombstonedError extends EventfoldError {
  readonly type = 'stream-tombstoned' as const
  constructor(
    readonly streamId: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream '${streamId}' is tombstoned (hard-deleted) and cannot be written again`, options)
  }
}
export const isStreamTombstonedError = (e: unknown): e is StreamTombstonedError => e instanceof StreamTombstonedError

/**
 * The stream is soft-deleted: its metadata holds the server's delete marker
 * (`$tb` = 2^63-1), which JSON numbers cannot carry back exactly, so its
 * metadata cannot be rewritten without undeleting it. Append to the stream
 * (which re-creates it, revisions going on) and change its metadata then,
 * or delete it for good with a hard delete.
 */
export class StreamSoftDeletedError extends EventfoldError {
  readonly type = 'stream-soft-deleted' as const
  constructor(readonly streamId: string) {
    super(`Stream '${streamId}' is soft-deleted: its metadata cannot be changed until it is written again`)
  }
}
export const isStreamSoftDeletedError = (e: unknown): e is StreamSoftDeletedError => e instanceof StreamSoftDeletedError

/**
 * The server did not say where in the log an event read from a stream is.
 * EventStoreDB reports `$all` positions on stream reads since 22.6, and never
 * for events written in an explicit (TCP API) transaction. Read such events
 * through `readAll` or `subscribeToAll`, which always carry positions.
 */
export class PositionUnavailableError extends EventfoldError {
  readonly type = 'position-unavailable' as const
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
  ) {
    super(
      `EventStoreDB did not report the log position of ${streamId}@${revision} ` +
        '(servers before 22.6 never do on stream reads; events of explicit transactions never have one): read it from $all instead',
    )
  }
}
export const isPositionUnavailableError = (e: unknown): e is PositionUnavailableError => e instanceof PositionUnavailableError

/**
 * A catch-up subscription to `$all` stopped without being closed: the server
 * ended it, the connection failed or access was denied. Nothing after the
 * last delivered event was lost: subscribe again from the last checkpoint.
 */
export class SubscriptionDroppedError extends EventfoldError {
  readonly type = 'subscription-dropped' as const
  constructor(options?: { cause?: unknown }) {
    const cause = options?.cause
    super(
      `The EventStoreDB subscription to $all was dropped${cause === undefined ? '' : `: ${(cause as Error)?.message ?? String(cause)}`}`,
      options,
    )
  }
}
export const isSubscriptionDroppedError = (e: unknown): e is SubscriptionDroppedError => e instanceof SubscriptionDroppedError
