import { describe, expect, it } from '@jest/globals'
import { Event, type RecordedEvent } from '@eventfold/core'
import { InvalidPublicationError } from '../errors'
import { publish, Published } from './publication'
import { definePublications } from './publications'
import { validTraceparent } from './traceparent'

@Event('OrderPlaced')
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
    readonly cardNumber: string,
  ) {}
}

@Published({ type: 'OrderRefunded.v2', topic: 'refunds', map: (e: RecordedEvent<OrderRefunded>) => ({ orderId: e.data.orderId, amount: e.data.amount }) })
@Event('OrderRefunded')
class OrderRefunded {
  constructor(
    readonly orderId: string,
    readonly amount: number,
    readonly reason: string,
  ) {}
}

const TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

const recorded = (type: string, data: unknown, metadata: Record<string, unknown> = {}): RecordedEvent => ({
  type,
  data,
  streamId: 'Order-o1',
  revision: 3n,
  position: 42n,
  metadata: { eventId: 'evt-42', occurredAt: '2026-12-03T10:00:00.000Z', schemaVersion: 1, ...metadata },
})

const publications = definePublications({
  source: 'orders',
  publications: [
    publish(OrderPlaced, { type: 'OrderPlaced.v1', topic: 'orders', map: (e) => ({ orderId: e.data.orderId, total: e.data.total }) }),
    publish('OrderShipped', { type: 'OrderShipped.v1', topic: 'shipping', payload: 'reference' }),
  ],
  topics: [{ name: 'orders', partitions: 4 }],
})

describe('choosing what is published', () => {
  it('maps a chosen domain event to its published contract, with the identifiers of the recorded event', () => {
    const out = publications.outgoing(recorded('OrderPlaced', { orderId: 'o1', total: 10, cardNumber: '4111' }, { correlationId: 'c1', causationId: 'k1' }))
    expect(out).toEqual({
      topic: 'orders',
      envelope: {
        id: 'evt-42',
        type: 'OrderPlaced.v1',
        source: 'orders',
        streamId: 'Order-o1',
        revision: 3n,
        position: 42n,
        occurredAt: '2026-12-03T10:00:00.000Z',
        correlationId: 'c1',
        causationId: 'k1',
        traceparent: undefined,
        payload: 'full',
        data: { orderId: 'o1', total: 10 },
      },
    })
  })

  it('publishes a class decorated with @Published with the publication it declares', () => {
    const refunds = definePublications({ source: 'orders', publications: [publish(OrderRefunded)] })
    const out = refunds.outgoing(recorded('OrderRefunded', { orderId: 'o1', amount: 5, reason: 'internal note' }))
    expect(out).toMatchObject({ topic: 'refunds', envelope: { type: 'OrderRefunded.v2', data: { orderId: 'o1', amount: 5 } } })
    expect(refunds.topics).toEqual([{ name: 'refunds' }])
  })

  it('publishes nothing for an event type that was not chosen', () => {
    expect(publications.publishes('OrderCancelled')).toBe(false)
    expect(publications.outgoing(recorded('OrderCancelled', { secret: true }))).toBeUndefined()
  })

  it('sends identifiers only for a zero-payload publication', () => {
    const out = publications.outgoing(recorded('OrderShipped', { orderId: 'o1', address: 'private' }))
    expect(out?.envelope).toMatchObject({ type: 'OrderShipped.v1', payload: 'reference', data: { streamId: 'Order-o1' } })
  })

  it('reads the event types and declares every topic once, with the settings given', () => {
    expect(publications.eventTypes).toEqual(['OrderPlaced', 'OrderShipped'])
    expect(publications.topics).toEqual([{ name: 'orders', partitions: 4 }, { name: 'shipping' }])
  })

  it('carries a valid traceparent from the metadata and drops an invalid one', () => {
    const traced = publications.outgoing(recorded('OrderShipped', {}, { traceparent: TRACE }))
    expect(traced?.envelope.traceparent).toBe(TRACE)
    const forged = publications.outgoing(recorded('OrderShipped', {}, { traceparent: `${TRACE}\r\nx-admin: 1` }))
    expect(forged?.envelope.traceparent).toBeUndefined()
  })

  it('leaves out identifiers of the metadata that are not strings', () => {
    const out = publications.outgoing(recorded('OrderShipped', {}, { correlationId: 7, causationId: { id: 'k' } }))
    expect(out?.envelope).toMatchObject({ correlationId: undefined, causationId: undefined })
  })

  it.each([
    ['an empty published type', () => publish('A', { type: ' ', topic: 't', payload: 'reference' }), "cannot publish 'A': its published type is empty"],
    ['an empty topic', () => publish('A', { type: 'A.v1', topic: '', payload: 'reference' }), "cannot publish 'A': its topic is empty"],
    ['a full payload without map', () => publish('A', { type: 'A.v1', topic: 't' }), "cannot publish 'A': a 'full' publication needs map"],
    ['an unknown payload kind', () => publish('A', { type: 'A.v1', topic: 't', payload: 'some' as never }), "payload is \"some\""],
    [
      'a domain event chosen twice',
      () => definePublications({ source: 's', publications: [publish('A', { type: 'A.v1', topic: 't', payload: 'reference' }), publish('A', { type: 'A.v2', topic: 't', payload: 'reference' })] }),
      "cannot publish 'A': it is chosen twice",
    ],
    ['a class without @Published and without a publication', () => publish(OrderPlaced), "cannot publish 'OrderPlaced': it has no publication"],
    ['an empty source', () => definePublications({ source: '', publications: [] }), 'the source service name is empty'],
  ])('refuses %s', (_name, define, message) => {
    expect(define).toThrow(InvalidPublicationError)
    expect(define).toThrow(message)
  })
})

describe('validTraceparent', () => {
  it.each([
    [TRACE, TRACE],
    ['01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future'],
    ['00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', undefined],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', undefined],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', undefined],
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra', undefined],
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331', undefined],
    ['01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-a\tb', undefined],
    [42, undefined],
  ])('%p gives %p', (value, expected) => {
    expect(validTraceparent(value)).toBe(expected)
  })
})
