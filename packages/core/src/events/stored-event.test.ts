import { describe, expect, it } from '@jest/globals'
import { inspect } from 'node:util'
import { EventRegistry, defineUpcaster } from './event-registry'
import type { RecordedEvent } from './event'
import { recordedEventFromJson, recordedEventFromText, schemaVersionOf, type StoredEvent } from './stored-event'

const stored = (fields: Partial<StoredEvent> = {}): StoredEvent => ({
  streamId: 'Account-1',
  revision: 3n,
  position: 7n,
  type: 'Deposited',
  data: '{"amount":5}',
  metadata: '{"eventId":"e-1","occurredAt":"2026-01-01T00:00:00.000Z","schemaVersion":1,"tenant":"t"}',
  schemaVersion: 1,
  ...fields,
})

const metadata = { eventId: 'e-1', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1, tenant: 't' }

describe('recordedEventFromJson', () => {
  it('gives the recorded event the text stores, data and metadata parsed', () => {
    expect(recordedEventFromJson(stored())).toEqual({
      type: 'Deposited',
      data: { amount: 5 },
      metadata,
      streamId: 'Account-1',
      revision: 3n,
      position: 7n,
    })
  })

  it('gives the same event from the fields as arguments (recordedEventFromText)', () => {
    const s = stored({ schemaVersion: 3 })
    const event = recordedEventFromText(s.streamId, s.revision, s.position, s.type, s.data, s.metadata, s.schemaVersion)

    expect(event).toEqual(recordedEventFromJson(s))
    expect(schemaVersionOf(event)).toBe(3)
  })

  it('rejects data that is not valid JSON at once', () => {
    expect(() => recordedEventFromJson(stored({ data: '{broken' }))).toThrow(
      expect.objectContaining({ type: 'serialization', path: 'data', eventType: 'Deposited' }),
    )
  })

  it('rejects metadata that is not valid JSON at each access of metadata, not before', () => {
    const event = recordedEventFromJson(stored({ metadata: '{broken' }))

    expect(event.data).toEqual({ amount: 5 })
    for (let i = 0; i < 2; i++) {
      expect(() => event.metadata).toThrow(expect.objectContaining({ type: 'serialization', path: 'metadata', eventType: 'Deposited' }))
    }
  })

  it('parses metadata once', () => {
    const event = recordedEventFromJson(stored())

    expect(event.metadata).toBe(event.metadata)
  })

  it('keeps metadata through spreading, Object.keys, structuredClone and inspect', () => {
    const event = recordedEventFromJson(stored())

    expect({ ...event }.metadata).toEqual(metadata)
    expect(Object.keys(event).sort()).toEqual(['data', 'metadata', 'position', 'revision', 'streamId', 'type'])
    expect(structuredClone(event)).toEqual({ ...event })
    expect(inspect(event)).toContain("tenant: 't'")
  })

  it('lets metadata be replaced, as a plain property', () => {
    const event = recordedEventFromJson(stored({ schemaVersion: 1 })) as { metadata: RecordedEvent['metadata'] }

    event.metadata = { ...metadata, schemaVersion: 2 }

    expect(event.metadata.schemaVersion).toBe(2)
    expect(schemaVersionOf(event as RecordedEvent)).toBe(2)
  })
})

describe('schemaVersionOf', () => {
  it('takes the version stored beside the metadata without parsing it', () => {
    expect(schemaVersionOf(recordedEventFromJson(stored({ metadata: '{broken', schemaVersion: 3 })))).toBe(3)
  })

  it('falls back to metadata.schemaVersion, then to 1', () => {
    expect(schemaVersionOf(recordedEventFromJson(stored({ metadata: '{"schemaVersion":2}', schemaVersion: null })))).toBe(2)
    expect(schemaVersionOf(recordedEventFromJson(stored({ metadata: '{}', schemaVersion: undefined })))).toBe(1)
    const plain = { ...recordedEventFromJson(stored()), metadata: { ...metadata, schemaVersion: 4 } }
    expect(schemaVersionOf(plain)).toBe(4)
  })
})

describe('EventRegistry.upcast of stored events', () => {
  it('returns an event at the current version as it is, metadata unparsed', () => {
    const registry = new EventRegistry()
    registry.register('Deposited', { version: 2 })
    const event = recordedEventFromJson(stored({ metadata: '{broken', schemaVersion: 2 }))

    expect(registry.upcast(event)).toBe(event)
  })

  it('lifts an event stored at an older version', () => {
    const registry = new EventRegistry()
    registry.register('Deposited', { version: 2 })
    registry.addUpcaster(defineUpcaster<{ amount: number }>('Deposited', 1, (d) => ({ cents: d.amount * 100 })))

    const lifted = registry.upcast(recordedEventFromJson(stored({ schemaVersion: 1 })))

    expect(lifted).toMatchObject({ data: { cents: 500 }, metadata: { ...metadata, schemaVersion: 2 }, revision: 3n })
  })

  it('reads the version from the metadata when the store did not keep it', () => {
    const registry = new EventRegistry()
    registry.register('Deposited', { version: 2 })

    expect(() => registry.upcast(recordedEventFromJson(stored({ schemaVersion: null })))).toThrow(
      expect.objectContaining({ type: 'missing-upcaster', fromVersion: 1, toVersion: 2 }),
    )
  })
})
