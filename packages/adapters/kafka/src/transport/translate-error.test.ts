import { describe, expect, it } from '@jest/globals'
import { UnknownTopicError } from '@eventfold/messaging'
import { KafkaRequestError, KafkaUnreachableError } from '../errors'
import { translateError } from './translate-error'

// Shaped like @platformatic/kafka's errors: a client code, Kafka's error name in `apiId`, aggregates in `errors`.
const protocol = (apiId: string, serverErrorMessage: string | null = null) =>
  Object.assign(new Error('protocol'), { code: 'PLT_KFK_PROTOCOL', apiId, serverErrorMessage })
const response = (...errors: Error[]) => Object.assign(new AggregateError(errors, 'response'), { code: 'PLT_KFK_RESPONSE' })
const context = { operation: 'publish', brokers: '127.0.0.1:9092', topic: 'orders', group: 'billing' }

describe('translateError', () => {
  it('names an unknown topic by Kafka’s error name, even inside an aggregate', () => {
    const error = translateError(response(protocol('UNKNOWN_TOPIC_OR_PARTITION')), context)
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect(error).toMatchObject({ topic: 'orders', transport: 'kafka' })
  })

  it('keeps any other refusal’s Kafka error name and the facts of the call', () => {
    const error = translateError(response(protocol('POLICY_VIOLATION', 'retention too long')), { ...context, operation: 'declare' })
    expect(error).toBeInstanceOf(KafkaRequestError)
    expect(error).toMatchObject({ code: 'POLICY_VIOLATION', operation: 'declare', brokers: '127.0.0.1:9092', topic: 'orders', group: 'billing' })
    expect(error.message).toContain('retention too long')
  })

  it('says the broker is unreachable on a network error or a timeout, and on an aggregate of only those', () => {
    const network = Object.assign(new Error('ECONNREFUSED'), { code: 'PLT_KFK_NETWORK' })
    const timeout = Object.assign(new Error('timed out'), { code: 'PLT_KFK_TIMEOUT' })
    expect(translateError(network, context)).toBeInstanceOf(KafkaUnreachableError)
    expect(translateError(timeout, context)).toMatchObject({ type: 'KafkaUnreachableError', operation: 'publish', brokers: '127.0.0.1:9092' })
    const multiple = Object.assign(new AggregateError([network, timeout], 'all failed'), { code: 'PLT_KFK_MULTIPLE' })
    expect(translateError(multiple, context)).toBeInstanceOf(KafkaUnreachableError)
  })

  it('keeps the original error as the cause', () => {
    const original = protocol('GROUP_AUTHORIZATION_FAILED')
    expect(translateError(original, context).cause).toBe(original)
  })

  it('passes an eventfold error through unchanged', () => {
    const mine = new UnknownTopicError('kafka', 'orders')
    expect(translateError(mine, context)).toBe(mine)
  })
})
