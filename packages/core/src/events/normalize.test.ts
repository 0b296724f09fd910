import { describe, expect, it } from '@jest/globals'
import { prepareEvents, serializeEvents } from './normalize'
import { metadataLayoutOf } from './standard-metadata'

describe('serializeEvents', () => {
  it('writes the metadata of an event given none as JSON of the completed metadata, key for key', () => {
    const [e] = serializeEvents('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }])

    const metadata = JSON.parse(e!.metadata) as Record<string, unknown>
    expect(e!.metadata).toBe(JSON.stringify({ eventId: e!.eventId, occurredAt: metadata.occurredAt, schemaVersion: 1 }))
    expect(metadata.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Date(metadata.occurredAt as string).toISOString()).toBe(metadata.occurredAt)
    expect(e).toMatchObject({ type: 'Opened', data: '{"owner":"Ann"}', schemaVersion: 1 })
  })

  it('writes the same metadata for an event with no metadata as for one with an empty metadata object', () => {
    const [bare, empty] = serializeEvents('Account-1', [
      { type: 'A', data: 1 },
      { type: 'A', data: 1, metadata: {} },
    ])

    const strip = (json: string) => ({ ...(JSON.parse(json) as object), eventId: 'x' })
    expect(Object.keys(JSON.parse(bare!.metadata) as object)).toEqual(Object.keys(JSON.parse(empty!.metadata) as object))
    expect(strip(bare!.metadata)).toEqual(strip(empty!.metadata))
  })

  it('writes null for missing data', () => {
    expect(serializeEvents('Account-1', [{ type: 'A' } as never])[0]!.data).toBe('null')
  })

  it.each([
    ['a missing type', { data: {} }, { type: 'validation' }],
    ['NaN in data', { type: 'A', data: { n: Number.NaN } }, { type: 'serialization', path: 'data.n' }],
  ])('refuses an event without metadata that has %s', (_label, event, error) => {
    expect(() => serializeEvents('Account-1', [event as never])).toThrow(expect.objectContaining(error) as never)
  })

  it('keeps the data text of prepared events and serializes their metadata as it is', () => {
    const [prepared] = prepareEvents('Account-1', [{ type: 'A', data: { n: 1 }, metadata: { userId: 'u1' } }])
    ;(prepared!.data as { n: number }).n = 2

    const [e] = serializeEvents('Account-1', [prepared!])

    expect(e).toEqual({
      type: 'A',
      eventId: prepared!.metadata.eventId,
      data: '{"n":1}',
      metadata: JSON.stringify(prepared!.metadata),
      schemaVersion: 1,
      metadataLayout: null,
    })
  })

  it.each([
    ['no metadata', undefined, 1],
    ['a correlation and a causation id', { correlationId: 'c', causationId: 'd' }, 2],
    ['the metadata a command gives its events', { correlationId: 'c', causationId: 'd', schemaVersion: 1 }, 3],
    ['a given event id and instant', { eventId: 'e', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 3 }, 1],
    ['a user field', { userId: 'u1' }, null],
    ['a correlation id alone', { correlationId: 'c' }, null],
  ])('gives the metadata layout of an event with %s, prepared or not', (_label, metadata, layout) => {
    const event = { type: 'A', data: {}, ...(metadata && { metadata }) }
    for (const e of [event, ...prepareEvents('Account-1', [event])]) {
      const [serialized] = serializeEvents('Account-1', [e])

      expect(serialized!.metadataLayout).toBe(layout)
      expect(metadataLayoutOf(serialized!.metadata) ?? null).toBe(layout)
    }
  })
})
