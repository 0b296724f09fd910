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

/** A class used as a saga has no `@Saga` decorator. */
export class UndecoratedSagaError extends EventfoldError {
  readonly type = 'UndecoratedSagaError'
  constructor(readonly className: string) {
    super(`class '${className}' is used as a saga but has no @Saga(name) decorator`)
  }
}

/** True when `error` is an {@link UndecoratedSagaError}. */
export const isUndecoratedSagaError = (error: unknown): error is UndecoratedSagaError => error instanceof UndecoratedSagaError

/** A saga instance kept changing under a message: every retry lost to another writer. */
export class SagaConcurrencyError extends EventfoldError {
  readonly type = 'SagaConcurrencyError'
  constructor(
    readonly saga: string,
    readonly sagaId: string,
    readonly messageId: string,
    readonly attempts: number,
  ) {
    super(`saga '${saga}' instance ${sagaId}: message ${messageId} lost to another writer ${attempts} times`)
  }
}

/** True when `error` is a {@link SagaConcurrencyError}. */
export const isSagaConcurrencyError = (error: unknown): error is SagaConcurrencyError => error instanceof SagaConcurrencyError

/** No saga instance has this id. */
export class SagaNotFoundError extends EventfoldError {
  readonly type = 'SagaNotFoundError'
  constructor(readonly sagaId: string) {
    super(`no saga instance with id '${sagaId}'`)
  }
}

/** True when `error` is a {@link SagaNotFoundError}. */
export const isSagaNotFoundError = (error: unknown): error is SagaNotFoundError => error instanceof SagaNotFoundError

/** A saga command names a service, and the runtime was given no transport to send it through. */
export class NoCommandRouteError extends EventfoldError {
  readonly type = 'NoCommandRouteError'
  constructor(
    readonly saga: string,
    readonly sagaId: string,
    readonly commandType: string,
    readonly to: string | undefined,
  ) {
    super(
      to === undefined
        ? `saga '${saga}' instance ${sagaId} sends '${commandType}' on the local command bus, and the runtime has none`
        : `saga '${saga}' instance ${sagaId} sends '${commandType}' to service '${to}', and the runtime has no integration command sender`,
    )
  }
}

/** A saga sent something that is not a command: no `@Command(type)` on its class and no string `type`. */
export class InvalidSagaCommandError extends EventfoldError {
  readonly type = 'InvalidSagaCommandError'
  constructor(readonly className: string) {
    super(`a saga command needs @Command(type) on its class or a string 'type'; got an instance of '${className}'`)
  }
}
