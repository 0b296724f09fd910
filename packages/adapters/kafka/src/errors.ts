import { EventfoldError } from '@eventfold/core'

/** Where a Kafka call was going when it failed: the facts an error names. */
export interface KafkaErrorContext {
  /** What the transport was doing (`declare`, `publish`, `subscribe`, `acknowledge`, `lag`, …). */
  readonly operation: string
  readonly brokers: string
  readonly topic?: string
  readonly group?: string
}

const where = (context: KafkaErrorContext): string =>
  [
    `brokers ${context.brokers}`,
    context.topic === undefined ? undefined : `topic '${context.topic}'`,
    context.group === undefined ? undefined : `group '${context.group}'`,
  ]
    .filter((part) => part !== undefined)
    .join(', ')

/** The broker could not be reached or did not answer in time. */
export class KafkaUnreachableError extends EventfoldError {
  readonly type = 'KafkaUnreachableError'
  readonly operation: string
  readonly brokers: string
  constructor(context: KafkaErrorContext, options?: { cause?: unknown }) {
    super(`Kafka ${context.operation} failed: no answer from ${where(context)}; is the broker running (scripts/services start kafka)?`, options)
    this.operation = context.operation
    this.brokers = context.brokers
  }
}

/** The broker refused a request; `code` is Kafka's error name (e.g. `POLICY_VIOLATION`). */
export class KafkaRequestError extends EventfoldError {
  readonly type = 'KafkaRequestError'
  readonly operation: string
  readonly brokers: string
  readonly topic: string | undefined
  readonly group: string | undefined
  constructor(
    context: KafkaErrorContext,
    readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Kafka ${context.operation} refused with ${code} (${where(context)}): ${detail}`, options)
    this.operation = context.operation
    this.brokers = context.brokers
    this.topic = context.topic
    this.group = context.group
  }
}

/** True when `error` is a {@link KafkaUnreachableError}. */
export const isKafkaUnreachableError = (error: unknown): error is KafkaUnreachableError => error instanceof KafkaUnreachableError
/** True when `error` is a {@link KafkaRequestError}. */
export const isKafkaRequestError = (error: unknown): error is KafkaRequestError => error instanceof KafkaRequestError
