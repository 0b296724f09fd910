import { describe, expect, it } from '@jest/globals'
import { UnknownTopicError } from '@eventfold/messaging'
import { BrokerRefusedError } from '../errors'
import { translateAmqpError } from './translate-error'

const closed = (code: number): Error => Object.assign(new Error('Channel closed by server'), { code, classId: 60, methodId: 40 })

describe('translating amqplib errors', () => {
  it('turns a missing exchange on publish into UnknownTopicError naming the topic', () => {
    const error = translateAmqpError(closed(404), { operation: 'publish', topic: 'orders', exchange: 'orders' })
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect(error).toMatchObject({ type: 'UnknownTopicError', transport: 'rabbitmq', topic: 'orders' })
  })

  it.each([
    [406, 'PRECONDITION_FAILED'],
    [403, 'ACCESS_REFUSED'],
    [405, 'RESOURCE_LOCKED'],
    [404, 'NOT_FOUND'],
  ])('turns reply code %i on a queue into BrokerRefusedError %s naming queue and group', (code, reason) => {
    const error = translateAmqpError(closed(code), { operation: 'declare the queue', queue: 'billing.orders.0', group: 'billing' })
    expect(error).toBeInstanceOf(BrokerRefusedError)
    expect(error).toMatchObject({ type: 'BrokerRefusedError', code, reason, resource: { queue: 'billing.orders.0', group: 'billing' } })
    expect((error as Error).message).toBe(`RabbitMQ refused declare the queue on queue 'billing.orders.0', group 'billing': ${code} ${reason}`)
  })

  it('keeps the original error as the cause', () => {
    const original = closed(406)
    expect((translateAmqpError(original, { operation: 'declare' }) as Error).cause).toBe(original)
  })

  it('returns errors without a reply code unchanged', () => {
    const original = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(translateAmqpError(original, { operation: 'publish' })).toBe(original)
  })
})
