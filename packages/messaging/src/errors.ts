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

/** A publication that cannot be used: an empty type or topic, no `map` for a full payload, a domain event type chosen twice. */
export class InvalidPublicationError extends EventfoldError {
  readonly type = 'InvalidPublicationError'
  constructor(
    readonly eventType: string,
    readonly reason: string,
  ) {
    super(`cannot publish '${eventType}': ${reason}`)
  }
}

/** True when `error` is an {@link InvalidPublicationError}. */
export const isInvalidPublicationError = (error: unknown): error is InvalidPublicationError => error instanceof InvalidPublicationError
/**
 * A handler called `fetch()` for a zero-payload event whose type has no
 * fetcher registered, or on an event that carries its payload.
 */
export class FetcherMissingError extends EventfoldError {
  readonly type = 'FetcherMissingError'
  constructor(
    readonly consumer: string,
    readonly eventType: string,
    readonly messageId: string,
  ) {
    super(`consumer '${consumer}': no fetcher is registered for zero-payload event '${eventType}' (message ${messageId})`)
  }
}

/** A handler dispatched a command (or an append reached the inbox), and the consumer's store holds documents only (no event log). */
export class InboxAppendUnsupportedError extends EventfoldError {
  readonly type = 'InboxAppendUnsupportedError'
  constructor(
    readonly consumer: string,
    /** What was refused, e.g. `command 'OpenInvoice'` or `an append to 'Invoice-1'`. */
    readonly refused: string,
  ) {
    super(`consumer '${consumer}': ${refused} needs an event log, and its inbox store holds documents only; give it an inbox on a store with a log (sqliteInbox, postgresInbox)`)
  }
}

/** No parked message has this id for this consumer (never parked, already retried, or discarded). */
export class ParkedMessageNotFoundError extends EventfoldError {
  readonly type = 'ParkedMessageNotFoundError'
  constructor(
    readonly consumer: string,
    readonly messageId: string,
  ) {
    super(`consumer '${consumer}' has no parked message '${messageId}' (never parked, already retried or discarded)`)
  }
}

/** A parked message was retried and its handler failed again: it stays parked, with the new error. */
export class ParkedRetryFailedError extends EventfoldError {
  readonly type = 'ParkedRetryFailedError'
  constructor(
    readonly consumer: string,
    readonly messageId: string,
    options: { cause: unknown },
  ) {
    super(`retrying message '${messageId}' of consumer '${consumer}' failed again: ${(options.cause as Error)?.message ?? String(options.cause)}`, options)
  }
}

/** True when `error` is a {@link ParkedMessageNotFoundError}. */
export const isParkedMessageNotFoundError = (error: unknown): error is ParkedMessageNotFoundError => error instanceof ParkedMessageNotFoundError
/** True when `error` is a {@link FetcherMissingError}. */
export const isFetcherMissingError = (error: unknown): error is FetcherMissingError => error instanceof FetcherMissingError
