import { describe, expect, it } from '@jest/globals'
import { MalformedMessageError } from '../errors'
import type { Delivery } from '../transport/transport'
import { decodeEnvelope, encodeEnvelope } from './codec'
import type { IntegrationEnvelope } from './envelope'

const envelope: IntegrationEnvelope = {
  id: 'evt-1',
  type: 'OrderPlaced.v1',
  source: 'order',
  streamId: 'Order-o1',
  revision: 0n,
  position: 12345678901234567890n,
  occurredAt: '2026-12-03T10:00:00.000Z',
  correlationId: 'corr-1',
  causationId: 'cmd-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  payload: 'full',
  data: { orderId: 'o1', items: [{ sku: 'ipad', quantity: 1 }], note: 'é ✓' },
}

const deliver = (message: ReturnType<typeof encodeEnvelope>, change: Partial<Delivery> = {}): Delivery => ({
  ...message,
  topic: 'orders',
  partition: 2,
  offset: 7n,
  redelivered: false,
  ...change,
})

describe('the integration envelope codec', () => {
  it('round-trips every field, keyed by the stream', () => {
    const message = encodeEnvelope(envelope)
    expect(message.key).toBe('Order-o1')
    expect(message.id).toBe('evt-1')
    expect(decodeEnvelope(deliver(message))).toEqual(envelope)
  })

  it('leaves optional identifiers out when they are absent', () => {
    const { correlationId: _c, causationId: _k, traceparent: _t, ...bare } = envelope
    const message = encodeEnvelope({ ...bare, payload: 'reference', data: { orderId: 'o1' } })
    expect(Object.keys(message.headers)).not.toContain('traceparent')
    expect(decodeEnvelope(deliver(message))).toEqual({ ...bare, payload: 'reference', data: { orderId: 'o1' }, correlationId: undefined, causationId: undefined, traceparent: undefined })
  })

  it.each([
    ['a missing header', { headers: { ...encodeEnvelope(envelope).headers, 'ef-type': '' } }, "header 'ef-type' is missing"],
    ['a negative revision', { headers: { ...encodeEnvelope(envelope).headers, 'ef-revision': '-1' } }, "header 'ef-revision' is not a non-negative integer"],
    ['an unknown payload kind', { headers: { ...encodeEnvelope(envelope).headers, 'ef-payload': 'some' } }, "header 'ef-payload' is \"some\""],
    ['a value that is not JSON', { value: new TextEncoder().encode('{not json') }, 'the value is not UTF-8 JSON'],
    ['a value that is not UTF-8', { value: Uint8Array.from([0x7b, 0xff, 0x7d]) }, 'the value is not UTF-8 JSON'],
    ['a tombstone', { value: null }, 'the value is a tombstone'],
  ])('refuses %s, naming where the message is', (_name, change, reason) => {
    const decoding = (): unknown => decodeEnvelope(deliver(encodeEnvelope(envelope), change as Partial<Delivery>))
    expect(decoding).toThrow(MalformedMessageError)
    expect(decoding).toThrow(`malformed message at orders[2]@7: ${reason}`)
  })
})
