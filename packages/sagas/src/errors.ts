import { EventfoldError } from '@eventfold/core'

/** A deadline was scheduled with a time that is not a finite moment, or a scope or name that is empty. */
export class InvalidDeadlineError extends EventfoldError {
  readonly type = 'InvalidDeadlineError'
  constructor(
    readonly scope: string,
    readonly deadline: string,
    readonly reason: string,
  ) {
    super(`invalid deadline '${deadline}' (scope '${scope}'): ${reason}`)
  }
}

/** True when `error` is an {@link InvalidDeadlineError}. */
export const isInvalidDeadlineError = (error: unknown): error is InvalidDeadlineError => error instanceof InvalidDeadlineError
