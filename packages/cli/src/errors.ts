import { EventfoldError } from '@eventfold/core'
import { quote } from './output/terminal'

/**
 * Exit codes of the `eventfold` command.
 *
 * `usage` covers everything the person at the keyboard can fix by typing
 * something else: a bad argument, an unknown stream, projection or dead
 * letter, a missing or malformed config file. Nothing was changed.
 *
 * `brokenPipe` (128 + SIGPIPE, as a shell reports a tool killed by it): the
 * reader of the output closed it before the end, e.g. `| head`.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130, brokenPipe: 141 } as const

/**
 * Bad input: the command ran nothing that changes a store, and exits with
 * {@link EXIT.usage}. The message says what was wrong and, where it helps,
 * what would be right.
 */
export class UsageError extends Error {
  readonly type = 'usage' as const
  constructor(message: string) {
    super(message)
    Object.setPrototypeOf(this, new.target.prototype)
    this.name = 'UsageError'
  }
}

/**
 * Retrying a dead letter failed again: the letter stays parked, with one
 * more attempt and the new error. `cause` is the handler's error.
 */
export class DeadLetterRetryFailedError extends EventfoldError {
  readonly type = 'dead-letter-retry-failed' as const
  constructor(
    readonly id: string,
    readonly projection: string,
    /** Attempts so far, this one included. */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`retrying dead letter ${quote(id)} failed again, it stays parked (attempts ${attempts}): ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

/** True for a {@link UsageError}. */
export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError

/**
 * eventfold errors that mean "you asked for something that does not exist"
 * (or cannot be done as asked) rather than "something broke". They are
 * matched by their `type` discriminant, not `instanceof`, because the
 * application's copy of `@eventfold/*` may not be the CLI's.
 */
const INPUT_ERROR_TYPES = new Set([
  'unknown-projection',
  'revision-out-of-range',
  'dead-letter-not-found',
  'aggregate-not-found',
  'partition-count-mismatch',
  'RelayPartitionCountMismatchError',
  'ParkedMessageNotFoundError',
  'SagaNotFoundError',
])

/** The exit code an error thrown by a command maps to. */
export const exitCodeOf = (error: unknown): number => {
  if (isUsageError(error)) return EXIT.usage
  const type = (error as { type?: unknown } | null)?.type
  if (typeof type === 'string' && INPUT_ERROR_TYPES.has(type)) return EXIT.usage
  return EXIT.failure
}
