import { describe, expect, it } from '@jest/globals'
import { SerializationError, type RecordedEvent } from '@eventfold/core'
import { deadLetterFromDocument, parkWrite } from './dead-letters'

describe('parkWrite', () => {
  it('parks an event whose stored metadata cannot be parsed, with empty metadata and the parse error', () => {
    // As a store that parses metadata on first access hands out an event whose metadata text is corrupt.
    const event = { type: 'Moved', streamId: 'Acc-1', revision: 3n, position: 42n, data: { amount: 5 } } as unknown as RecordedEvent
    const error = new SerializationError('stored payload is not valid JSON', 'metadata', 'Moved')
    Object.defineProperty(event, 'metadata', { enumerable: true, get: () => { throw error } })

    const write = parkWrite('balances', '0/1', 1, event, error, 3)

    expect(write.kind === 'put' && deadLetterFromDocument(write.doc)).toMatchObject({
      projection: 'balances',
      attempts: 3,
      event: { streamId: 'Acc-1', position: '42', metadata: {} },
      error: { name: error.name },
    })
  })

  it('keeps the event and the error as text, so a value a store refuses in a read model does not make its dead letter refused', () => {
    const event = { type: 'Themed', streamId: 'U-1', revision: 0n, position: 7n, data: { $theme: 'dark', note: 'nul \u0000' }, metadata: {} } as unknown as RecordedEvent

    const write = parkWrite('themes', '0/1', 1, event, new Error('refused: \u0000'), 3)

    expect(write).toMatchObject({ kind: 'put', doc: { eventData: expect.any(String), eventMetadata: expect.any(String), error: expect.any(String) } })
    expect(write.kind === 'put' && deadLetterFromDocument(write.doc)).toMatchObject({
      event: { data: { $theme: 'dark', note: 'nul \u0000' } },
      error: { message: 'refused: \u0000' },
    })
  })
})

describe('deadLetterFromDocument', () => {
  it('reads a dead letter stored with its event and error as nested fields', () => {
    const stored = {
      _id: 'l1', projection: 'p', partition: '0/1', generation: 1, attempts: 3, parkedAt: '2026-01-01T00:00:00.000Z',
      event: { type: 'Moved', streamId: 'Acc-1', revision: '3', position: '42', data: { amount: 5 }, metadata: { eventId: 'e1' } },
      error: { name: 'Error', message: 'boom' },
    }

    expect(deadLetterFromDocument(stored)).toMatchObject({ id: 'l1', event: { data: { amount: 5 }, metadata: { eventId: 'e1' } }, error: { message: 'boom' } })
  })
})
