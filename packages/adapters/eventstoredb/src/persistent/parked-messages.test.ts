import { describe, expect, it } from '@jest/globals'
import type { ResolvedEvent } from '@eventstore/db-client'
import { encodePosition } from '../mapping/position'
import { decodeParkReason, encodeParkReason, parkedStreamOf, SERVER_NACK_PREFIX, toDeadLetter } from './parked-messages'

const source = { projection: 'account-balances', group: 'account-balances-v1', generation: 2 }

/** An entry of the parked stream read with links resolved: the link the server wrote, and the event it points to. */
const parkedEntry = (reason: string, metadataCase: 'camel' | 'pascal' = 'camel'): ResolvedEvent => ({
  link: {
    streamId: parkedStreamOf(source.group),
    id: '11111111-2222-4333-8444-555555555555',
    isJson: false,
    revision: 6n,
    type: '$>',
    created: new Date('2024-06-01T10:00:00.000Z'),
    data: new TextEncoder().encode('3@Account-1'),
    metadata:
      metadataCase === 'camel'
        ? { added: '2024-06-01T12:00:00.000+02:00', reason, subscriptionEventNumber: 41 }
        : { Added: '2024-06-01T12:00:00.000+02:00', Reason: reason, SubscriptionEventNumber: 41 },
  },
  event: {
    streamId: 'Account-1',
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    isJson: true,
    revision: 3n,
    type: 'Deposited',
    created: new Date('2024-06-01T09:00:00.000Z'),
    data: { amount: 5 },
    metadata: { eventId: 'e-3', occurredAt: '2024-06-01T09:00:00.000Z', schemaVersion: 1 },
    position: { commit: 900n, prepare: 900n },
  },
})

describe('parked messages', () => {
  it('names the parked stream of a group on $all as the server does', () => {
    expect(parkedStreamOf('g1')).toBe('$persistentsubscription-$all::g1-parked')
  })

  it('round-trips the error and attempts through the park reason', () => {
    const error = new RangeError('amount out of range')

    const decoded = decodeParkReason(encodeParkReason(error, 3))

    expect(decoded).toEqual({ error: { name: 'RangeError', message: 'amount out of range', stack: error.stack }, attempts: 3 })
  })

  it('keeps a thrown value that is not an Error', () => {
    expect(decodeParkReason(encodeParkReason('plain', 1))).toMatchObject({ error: { name: 'Error', message: 'plain' }, attempts: 1 })
  })

  it.each([['Max retry count reached'], ['{"not":"ours"}'], [SERVER_NACK_PREFIX + 'plain text'], [undefined]])('reads the server’s own reason %p as ParkedByServer', (reason) => {
    expect(decodeParkReason(reason)).toMatchObject({ error: { name: 'ParkedByServer' }, attempts: 0 })
  })

  it('reads the error back from the reason as the server stores it, after its own prefix', () => {
    const error = new TypeError('no amount')

    const decoded = decodeParkReason(SERVER_NACK_PREFIX + encodeParkReason(error, 4))

    expect(decoded).toEqual({ error: { name: 'TypeError', message: 'no amount', stack: error.stack }, attempts: 4 })
  })

  it('keeps a prefix literal to the server text', () => {
    expect(SERVER_NACK_PREFIX).toBe("Client explicitly NAK'ed message.\n")
  })

  it.each(['camel', 'pascal'] as const)('maps a parked entry to a framework dead letter (%s-case metadata)', (metadataCase) => {
    // The server prefixes the nack's reason before it stores it in the parked link's metadata.
    const letter = toDeadLetter(parkedEntry(SERVER_NACK_PREFIX + encodeParkReason(new Error('handler failed'), 3), metadataCase), source)

    expect(letter).toEqual({
      id: 'account-balances-v1@6',
      projection: 'account-balances',
      partition: 'persistent:account-balances-v1',
      generation: 2,
      event: {
        type: 'Deposited',
        streamId: 'Account-1',
        revision: '3',
        position: encodePosition({ commit: 900n, prepare: 900n }).toString(),
        data: { amount: 5 },
        metadata: { eventId: 'e-3', occurredAt: '2024-06-01T09:00:00.000Z', schemaVersion: 1 },
      },
      error: { name: 'Error', message: 'handler failed', stack: expect.any(String) },
      attempts: 3,
      parkedAt: '2024-06-01T10:00:00.000Z',
    })
  })

  it('still lists an entry whose event can no longer be read, from the link', () => {
    const { link } = parkedEntry('Max retry count reached')

    expect(toDeadLetter({ event: link! }, source)).toMatchObject({
      event: { type: '$>', streamId: 'Account-1', revision: '3', position: '-1', data: null },
      error: { name: 'ParkedByServer', message: 'Max retry count reached' },
    })
  })

  it('marks an unknown position as -1', () => {
    const entry = parkedEntry('x')
    const event = { ...entry.event!, position: { commit: (1n << 64n) - 1n, prepare: (1n << 64n) - 1n } }

    expect(toDeadLetter({ ...entry, event } as ResolvedEvent, source)?.event.position).toBe('-1')
  })
})
