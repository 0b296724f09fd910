import { describe, expect, it } from '@jest/globals'
import type { RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client'
import { type EventData } from '@eventfold/core'
import { prepareEvents } from '@eventfold/core/spi'
import { isUuid, toEventStoreDBEventId } from './event-id'
import { fromEventStoreDBEvent, isSystemEvent, toEventStoreDBEvent } from './events'
import { fromEventStoreDBMetadata, toEventStoreDBMetadata } from './metadata'

/**
 * What the client reads back for an event it wrote: its append sends
 * `JSON.stringify` of data and metadata, and its reader parses them again.
 */
const throughTheWire = (written: ReturnType<typeof toEventStoreDBEvent>, revision = 0n): EsdbRecordedEvent => ({
  streamId: 'Account-1',
  id: written.id,
  isJson: true,
  revision,
  type: written.type,
  created: new Date('2024-01-01T00:00:00.000Z'),
  data: JSON.parse(JSON.stringify(written.data)),
  metadata: JSON.parse(JSON.stringify(written.metadata)),
  position: { commit: 100n, prepare: 100n },
})

const prepared = (event: EventData) => prepareEvents('Account-1', [event])[0]!

describe('event ids', () => {
  it('passes a UUID through, lower-cased as the server returns it', () => {
    expect(toEventStoreDBEventId('Account-1', '0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e')
  })

  it('maps any other id to the same version 5 UUID every time', () => {
    const id = toEventStoreDBEventId('Order-42', 'order-42:0')

    expect(isUuid(id)).toBe(true)
    expect(id[14]).toBe('5')
    expect(['8', '9', 'a', 'b']).toContain(id[19])
    expect(toEventStoreDBEventId('Order-42', 'order-42:0')).toBe(id)
    expect(toEventStoreDBEventId('Order-42', 'order-42:1')).not.toBe(id)
  })

  it('refuses the all-zero UUID, which the server refuses as an event id', () => {
    expect(() => toEventStoreDBEventId('Account-1', '00000000-0000-0000-0000-000000000000')).toThrow(
      expect.objectContaining({ type: 'validation', issues: [expect.objectContaining({ path: 'metadata.eventId' })] }) as unknown as Error,
    )
  })

  it('maps one application id in two streams to two server ids, which persistent subscriptions track apart', () => {
    expect(toEventStoreDBEventId('Order-1', 'cmd-1:0')).not.toBe(toEventStoreDBEventId('Order-2', 'cmd-1:0'))
  })

  it('cannot make one name of two different stream and id pairs', () => {
    expect(toEventStoreDBEventId('Order-1', '2:x')).not.toBe(toEventStoreDBEventId('Order-12', ':x'))
  })
})

describe('event conversion', () => {
  it('writes a JSON event with the id passed through and every metadata field', () => {
    const event = prepared({
      type: 'Opened',
      data: { owner: 'Ann' },
      metadata: { eventId: '0f8fad5b-d9cb-469f-a165-70867728950e', correlationId: 'corr-1', causationId: 'cmd-1', tenant: 'acme' },
    })

    const written = toEventStoreDBEvent('Account-1', event)

    expect(written).toMatchObject({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', contentType: 'application/json', type: 'Opened', data: { owner: 'Ann' } })
    expect(written.metadata).toEqual({
      ...event.metadata,
      $correlationId: 'corr-1',
      $causationId: 'cmd-1',
    })
  })

  it('reads back exactly the type, data and metadata it wrote', () => {
    const metadata = {
      eventId: 'cmd-7:0',
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      occurredAt: '2024-01-02T03:04:05.678Z',
      schemaVersion: 3,
      tenant: 'acme',
      trace: { spans: [1, 2], sampled: true },
    }
    const event = prepared({ type: 'Opened', data: { owner: 'Ann' }, metadata })

    const read = fromEventStoreDBEvent(throughTheWire(toEventStoreDBEvent('Account-1', event), 4n), 77n)

    expect(read).toEqual({ type: 'Opened', data: { owner: 'Ann' }, metadata, streamId: 'Account-1', revision: 4n, position: 77n })
  })

  it.each<[string, unknown, unknown]>([
    ['a nested object', { a: { b: [1, 'two', { c: null }] }, d: true }, { a: { b: [1, 'two', { c: null }] }, d: true }],
    ['an array', [1, 2, 3], [1, 2, 3]],
    ['a string with non-ASCII characters', 'zürich ✓ 東京 🙂', 'zürich ✓ 東京 🙂'],
    ['an empty string', '', ''],
    ['a number', -12.5, -12.5],
    ['a boolean', false, false],
    ['null', null, null],
    ['undefined (stored as null)', undefined, null],
    ['a Date (stored as its ISO string)', new Date('2024-05-06T07:08:09.000Z'), '2024-05-06T07:08:09.000Z'],
    ['an empty object', {}, {}],
  ])('round-trips %s as data', (_label, data, expected) => {
    const read = fromEventStoreDBEvent(throughTheWire(toEventStoreDBEvent('Account-1', prepared({ type: 'Carried', data }))), 1n)

    expect(read.data).toEqual(expected)
  })

  it('keeps a user field named like a mirror when it differs from the eventfold field', () => {
    const metadata = { eventId: 'e-1', occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1, correlationId: 'a', $correlationId: 'b' }

    expect(fromEventStoreDBMetadata(toEventStoreDBMetadata(metadata), { id: 'x', created: new Date() })).toEqual(metadata)
  })

  it('fills eventId, occurredAt and schemaVersion for events written by others', () => {
    const created = new Date('2023-03-04T05:06:07.000Z')

    expect(fromEventStoreDBMetadata(undefined, { id: 'b6a0…', created })).toEqual({
      eventId: 'b6a0…',
      occurredAt: '2023-03-04T05:06:07.000Z',
      schemaVersion: 1,
    })
    expect(fromEventStoreDBMetadata(new Uint8Array([1, 2]), { id: 'x', created })).toMatchObject({ eventId: 'x' })
    expect(fromEventStoreDBMetadata({ schemaVersion: 0, other: 1 }, { id: 'x', created })).toMatchObject({ schemaVersion: 1, other: 1 })
  })

  it('reads binary events whose bytes are JSON, and empty ones as null', () => {
    const binary = (bytes: Uint8Array): EsdbRecordedEvent => ({
      streamId: 'Legacy-1',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      isJson: false,
      revision: 0n,
      type: 'Imported',
      created: new Date(0),
      data: bytes,
      metadata: undefined,
    })

    expect(fromEventStoreDBEvent(binary(new TextEncoder().encode('{"n":1}')), 5n).data).toEqual({ n: 1 })
    expect(fromEventStoreDBEvent(binary(new Uint8Array()), 5n).data).toBeNull()
  })

  it('refuses a JSON event whose bytes are not JSON (the client hands back their text) with a SerializationError', () => {
    // What the client's reader gives for content type application/json and the bytes `<xml/>`: JSON.parse fails, it keeps the text.
    const event: EsdbRecordedEvent = {
      streamId: 'Legacy-1',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      isJson: true,
      revision: 3n,
      type: 'Imported',
      created: new Date(0),
      data: '<xml/>' as unknown as Record<string, unknown>,
      metadata: undefined,
    }

    expect(() => fromEventStoreDBEvent(event, 5n)).toThrow(expect.objectContaining({ type: 'serialization', eventType: 'Imported' }) as unknown as Error)
  })

  it('refuses binary events that are not JSON with a SerializationError', () => {
    const event: EsdbRecordedEvent = {
      streamId: 'Legacy-1',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      isJson: false,
      revision: 3n,
      type: 'Imported',
      created: new Date(0),
      data: new Uint8Array([0xff, 0x00]),
      metadata: undefined,
    }

    expect(() => fromEventStoreDBEvent(event, 5n)).toThrow(expect.objectContaining({ type: 'serialization', eventType: 'Imported' }) as unknown as Error)
  })

  it.each([
    [{ streamId: '$$Account-1', type: '$metadata' }, true],
    [{ streamId: '$ce-Account', type: '$>' }, true],
    [{ streamId: '$stats-node', type: 'StatsCollected' }, true],
    [{ streamId: 'Account-1', type: 'Deposited' }, false],
  ])('classifies %p as a system event: %p', (event, system) => {
    expect(isSystemEvent(event)).toBe(system)
  })
})
