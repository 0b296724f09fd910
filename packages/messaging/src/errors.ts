import { EventfoldError } from '@eventfold/core'

/** A topic exists on the broker with settings other than the ones declared. */
export class TopicMismatchError extends EventfoldError {
  readonly type = 'TopicMismatchError'
  constructor(
    readonly topic: string,
    readonly setting: string,
    readonly declared: string,
    readonly actual: string,
  ) {
    super(`topic '${topic}' exists with ${setting} ${actual}, declared ${declared}`)
  }
}

/** A topic was used before it was declared. */
export class UnknownTopicError extends EventfoldError {
  readonly type = 'UnknownTopicError'
  constructor(
    readonly transport: string,
    readonly topic: string,
  ) {
    super(`${transport}: topic '${topic}' does not exist (declare it first)`)
  }
}

/** A delivery that is not an integration event this framework can read (missing header, bad JSON). */
export class MalformedMessageError extends EventfoldError {
  readonly type = 'MalformedMessageError'
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly reason: string,
  ) {
    super(`malformed message at ${topic}[${partition}]@${offset}: ${reason}`)
  }
}

/** True when `error` is a {@link TopicMismatchError}. */
export const isTopicMismatchError = (error: unknown): error is TopicMismatchError => error instanceof TopicMismatchError
/** True when `error` is a {@link MalformedMessageError}. */
export const isMalformedMessageError = (error: unknown): error is MalformedMessageError => error instanceof MalformedMessageError
/** True when `error` is an {@link UnknownTopicError}. */
export const isUnknownTopicError = (error: unknown): error is UnknownTopicError => error instanceof UnknownTopicError
