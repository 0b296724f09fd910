import { EventfoldError } from '@eventfold/core'

/** RabbitMQ keeps no log to compact: a topic declared `compacted` is refused. */
export class CompactedTopicUnsupportedError extends EventfoldError {
  readonly type = 'CompactedTopicUnsupportedError'
  constructor(readonly topic: string) {
    super(`topic '${topic}' is declared compacted, which RabbitMQ cannot do (it keeps no log per key); use the Kafka transport for compacted topics`)
  }
}

/** The broker refused an operation on an exchange or a queue; `code` is the AMQP reply code. */
export class BrokerRefusedError extends EventfoldError {
  readonly type = 'BrokerRefusedError'
  constructor(
    readonly operation: string,
    readonly code: number,
    readonly reason: string,
    readonly resource: { readonly exchange?: string; readonly queue?: string; readonly group?: string },
    options?: { cause?: unknown },
  ) {
    const where = [
      resource.exchange === undefined ? undefined : `exchange '${resource.exchange}'`,
      resource.queue === undefined ? undefined : `queue '${resource.queue}'`,
      resource.group === undefined ? undefined : `group '${resource.group}'`,
    ]
      .filter((part) => part !== undefined)
      .join(', ')
    super(`RabbitMQ refused ${operation}${where ? ` on ${where}` : ''}: ${code} ${reason}`, options)
  }
}

/** No connection to the broker at `url` (printed with its password hidden). */
export class BrokerUnreachableError extends EventfoldError {
  readonly type = 'BrokerUnreachableError'
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause as { message?: unknown } | undefined
    super(`RabbitMQ is not reachable at ${url}${typeof cause?.message === 'string' ? `: ${cause.message}` : ''}`, options)
  }
}

/**
 * A subscription's channel is gone (closed, or the connection failed): its
 * unacknowledged deliveries go back to the group's queues and are delivered again.
 */
export class SubscriptionClosedError extends EventfoldError {
  readonly type = 'SubscriptionClosedError'
  constructor(
    readonly group: string,
    options?: { cause?: unknown },
  ) {
    super(`the RabbitMQ subscription of group '${group}' is closed; its unacknowledged deliveries will be delivered again`, options)
  }
}

/** True when `error` is a {@link CompactedTopicUnsupportedError}. */
export const isCompactedTopicUnsupportedError = (error: unknown): error is CompactedTopicUnsupportedError => error instanceof CompactedTopicUnsupportedError
/** True when `error` is a {@link BrokerRefusedError}. */
export const isBrokerRefusedError = (error: unknown): error is BrokerRefusedError => error instanceof BrokerRefusedError
/** True when `error` is a {@link BrokerUnreachableError}. */
export const isBrokerUnreachableError = (error: unknown): error is BrokerUnreachableError => error instanceof BrokerUnreachableError
/** True when `error` is a {@link SubscriptionClosedError}. */
export const isSubscriptionClosedError = (error: unknown): error is SubscriptionClosedError => error instanceof SubscriptionClosedError
