import { UnknownTopicError } from '@eventfold/messaging'
import { BrokerRefusedError } from '../errors'

/** What was being done when the broker answered with an error: the facts the translated error names. */
export interface AmqpErrorContext {
  /** What was asked of the broker, in words (`publish`, `declare the queue`, …). */
  readonly operation: string
  readonly topic?: string
  readonly exchange?: string
  readonly queue?: string
  readonly group?: string
}

// AMQP 0-9-1 reply codes a client can meet, by their specification names.
const REPLY_CODES: Readonly<Record<number, string>> = {
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
}

/** The AMQP reply code the client attached to `error`, when it is a channel or connection close. */
export const replyCodeOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null | undefined)?.code
  return typeof code === 'number' ? code : undefined
}

/**
 * The one place where amqplib errors become eventfold errors, by the AMQP
 * reply code the client attaches (never by message text): a missing
 * topic exchange → the port's `UnknownTopicError`;
 * every other reply code → {@link BrokerRefusedError} naming the exchange,
 * queue and group. Errors without a reply code are returned unchanged.
 */
export const translateAmqpError = (error: unknown, context: AmqpErrorContext): unknown => {
  const code = replyCodeOf(error)
  if (code === undefined) return error
  const { operation, topic, exchange, queue, group } = context
  if (code === 404 && topic !== undefined && exchange !== undefined && queue === undefined) {
    return new UnknownTopicError('rabbitmq', topic)
  }
  return new BrokerRefusedError(operation, code, REPLY_CODES[code] ?? 'UNKNOWN', { exchange, queue, group }, { cause: error })
}
