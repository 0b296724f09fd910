import { EventfoldError } from '@eventfold/core'
import { UnknownTopicError } from '@eventfold/messaging'
import { KafkaRequestError, KafkaUnreachableError, type KafkaErrorContext } from '../errors'

interface ClientError {
  readonly code?: unknown
  readonly apiId?: unknown
  readonly errors?: readonly unknown[]
  readonly message?: unknown
  readonly serverErrorMessage?: unknown
}

/** The first error carrying a Kafka protocol error name (`apiId`): the client error or one it aggregates. */
const protocolError = (error: ClientError, depth = 0): (ClientError & { apiId: string }) | undefined => {
  if (typeof error.apiId === 'string') return error as ClientError & { apiId: string }
  if (depth > 3 || !Array.isArray(error.errors)) return undefined
  for (const inner of error.errors) {
    if (inner !== null && typeof inner === 'object') {
      const found = protocolError(inner as ClientError, depth + 1)
      if (found !== undefined) return found
    }
  }
  return undefined
}

const UNREACHABLE = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT'])

/**
 * The typed error for a failure of the Kafka client, decided by the client's
 * error code and Kafka's protocol error name, never by its message.
 */
export const translateError = (error: unknown, context: KafkaErrorContext): Error => {
  if (error instanceof EventfoldError) return error
  if (error === null || typeof error !== 'object') return new KafkaRequestError(context, 'UNKNOWN', String(error), { cause: error })
  const clientError = error as ClientError
  const refusal = protocolError(clientError)
  if (refusal !== undefined) {
    if (refusal.apiId === 'UNKNOWN_TOPIC_OR_PARTITION' || refusal.apiId === 'UNKNOWN_TOPIC_ID') return new UnknownTopicError('kafka', context.topic ?? '?')
    const detail = typeof refusal.serverErrorMessage === 'string' ? refusal.serverErrorMessage : String(refusal.message)
    return new KafkaRequestError(context, refusal.apiId, detail, { cause: error })
  }
  const clientCode = typeof clientError.code === 'string' ? clientError.code : undefined
  if (clientCode !== undefined && UNREACHABLE.has(clientCode)) return new KafkaUnreachableError(context, { cause: error })
  if (clientCode === 'PLT_KFK_MULTIPLE' && Array.isArray(clientError.errors) && clientError.errors.length > 0) {
    const inner = clientError.errors.map((e) => translateError(e, context))
    if (inner.every((e) => e instanceof KafkaUnreachableError)) return new KafkaUnreachableError(context, { cause: error })
    return inner.find((e) => !(e instanceof KafkaUnreachableError)) ?? inner[0]!
  }
  return new KafkaRequestError(context, clientCode ?? 'UNKNOWN', String(clientError.message), { cause: error })
}
