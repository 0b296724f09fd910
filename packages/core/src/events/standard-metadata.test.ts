import { describe, expect, it } from '@jest/globals'
import { recordedEventFromText } from './stored-event'
import { metadataLayoutOf, standardMetadata } from './standard-metadata'

const id = '01a23ce7-0cb5-7109-82d3-8995c43fd46a'
const at = '2026-12-03T17:15:04.757Z'

describe('standardMetadata', () => {
  it.each([
    ['an event appended without metadata', { eventId: id, occurredAt: at, schemaVersion: 1 }],
    ['an event appended with a correlation and a causation id', { correlationId: 'c-1', causationId: 'c-2', eventId: id, occurredAt: at, schemaVersion: 1 }],
    ['an event a command caused', { correlationId: 'c-1', causationId: 'c-2', schemaVersion: 3, eventId: id, occurredAt: at }],
    ['a later schema version', { eventId: 'e', occurredAt: at, schemaVersion: 123456789012345 }],
    ['empty strings', { correlationId: '', causationId: '', eventId: '', occurredAt: '', schemaVersion: 7 }],
    ['text beyond ASCII', { eventId: 'é-😀', occurredAt: at, schemaVersion: 1 }],
  ])('reads the metadata of %s as JSON.parse does, key order included', (_, metadata) => {
    const text = JSON.stringify(metadata)

    const read = standardMetadata(text)

    expect(read).toStrictEqual(JSON.parse(text))
    expect(JSON.stringify(read)).toBe(text)
  })

  it.each([
    ['user fields', { eventId: id, occurredAt: at, schemaVersion: 1, tenant: 't' }],
    ['user fields first', { tenant: 't', eventId: id, occurredAt: at, schemaVersion: 1 }],
    ['a correlation id alone', { correlationId: 'c', eventId: id, occurredAt: at, schemaVersion: 1 }],
    ['causation before correlation', { causationId: 'c', correlationId: 'c', eventId: id, occurredAt: at, schemaVersion: 1 }],
    ['an escaped quote', { eventId: 'a"b', occurredAt: at, schemaVersion: 1 }],
    ['an escaped control character', { eventId: 'a\nb', occurredAt: at, schemaVersion: 1 }],
    ['a key that only starts like a standard one', { eventId: id, occurredAtX: at, schemaVersion: 1 }],
    ['a version that is not an integer', { eventId: id, occurredAt: at, schemaVersion: 1.5 }],
    ['a version that is a string', { eventId: id, occurredAt: at, schemaVersion: '1' }],
    ['a version of zero', { eventId: id, occurredAt: at, schemaVersion: 0 }],
    ['a version of zero after the ids', { correlationId: 'c', causationId: 'd', schemaVersion: 0, eventId: id, occurredAt: at }],
    ['a version beyond 15 digits', { eventId: id, occurredAt: at, schemaVersion: 1234567890123456 }],
    ['the version first', { schemaVersion: 1, eventId: id, occurredAt: at }],
    ['a negative version', { eventId: id, occurredAt: at, schemaVersion: -1 }],
    ['a non-string id', { eventId: 5, occurredAt: at, schemaVersion: 1 }],
  ])('leaves metadata with %s to JSON.parse', (_, metadata) => {
    expect(standardMetadata(JSON.stringify(metadata))).toBeUndefined()
  })

  it.each([
    '{"eventId":"e","occurredAt":"t","schemaVersion":1} ',
    '{ "eventId":"e","occurredAt":"t","schemaVersion":1}',
    '{"eventId":"e","occurredAt":"t","schemaVersion":01}',
    '{"eventId":"e","occurredAt":"t","schemaVersion":1',
    '{"eventId":"e","occurredAt":"t","schemaVersion":}',
    '{"eventId":"e","occurredAt":"t"}',
    '{"eventId":"e',
    '{"correlationId":"c","causationId":"d"}',
    '{"correlationId":"c","causationId":"d","schemaVersion":1,"eventId":"e","occurredAt":"t"',
    '{"correlationId":"c","causationId":"d","schemaVersion":1 ,"eventId":"e","occurredAt":"t"}',
    '{"correlationId":"c","causationId":"d","schemaVersion":1,"eventId":"e","occurredAt":t}',
    '{"eventId":"e","occurredAt":"t","schemaVersion":1}}',
    '',
  ])('leaves text it cannot read exactly to JSON.parse: %s', (text) => {
    expect(standardMetadata(text)).toBeUndefined()
  })
})

describe('recordedEventFromText with metadata in a standard layout', () => {
  const text = JSON.stringify({ eventId: id, occurredAt: at, schemaVersion: 1 })
  const event = (schemaVersion: number | null = 1) => recordedEventFromText('Account-1', 0n, 1n, 'Deposited', '{"amount":5}', text, schemaVersion)

  it('gives metadata as a plain data property', () => {
    expect(Object.getOwnPropertyDescriptor(event(), 'metadata')).toEqual({
      value: { eventId: id, occurredAt: at, schemaVersion: 1 },
      writable: true,
      enumerable: true,
      configurable: true,
    })
  })

  it.each([
    [1, { eventId: id, occurredAt: at, schemaVersion: 2 }],
    [2, { correlationId: 'c', causationId: 'd', eventId: id, occurredAt: at, schemaVersion: 2 }],
    [3, { correlationId: 'c', causationId: 'd', schemaVersion: 2, eventId: id, occurredAt: at }],
  ] as const)('cuts metadata in layout %i out as it is when the store kept the layout, checking nothing', (layout, metadata) => {
    const text = JSON.stringify(metadata)

    const read = recordedEventFromText('Account-1', 0n, 1n, 'Deposited', '{}', text, 2, layout)

    expect(read.metadata).toStrictEqual(metadata)
    expect(JSON.stringify(read.metadata)).toBe(text)
    expect(metadataLayoutOf(text)).toBe(layout)
  })

  it('keeps the version a store kept beside the text when the two disagree', () => {
    const disagreeing = event(2)

    expect(Object.getOwnPropertyDescriptor(disagreeing, 'metadata')?.get).toBeDefined()
    expect(disagreeing.metadata).toEqual({ eventId: id, occurredAt: at, schemaVersion: 1 })
  })
})
