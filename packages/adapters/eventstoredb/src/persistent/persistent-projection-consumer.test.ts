import { describe, expect, it } from '@jest/globals'
import { END, PINNED, START, type EventStoreDBClient } from '@eventstore/db-client'
import { encodePosition } from '../mapping/position'
import { PersistentProjectionConsumer } from './persistent-projection-consumer'

// Never called: these tests only build settings.
const client = {} as EventStoreDBClient
const handle = async (): Promise<void> => undefined

describe('PersistentProjectionConsumer settings', () => {
  it('creates a Pinned group from the start of $all by default', () => {
    const settings = new PersistentProjectionConsumer(client, { group: 'g', handle }).settings()

    expect(settings).toMatchObject({ consumerStrategyName: PINNED, startFrom: START, resolveLinkTos: false })
  })

  it.each([
    ['end', END],
    [encodePosition({ commit: 10n, prepare: 10n }), { commit: 10n, prepare: 10n }],
  ] as const)('starts a new group from %p', (startFrom, expected) => {
    expect(new PersistentProjectionConsumer(client, { group: 'g', handle, startFrom }).settings().startFrom).toEqual(expected)
  })

  it('lets explicit settings override the defaults', () => {
    const settings = new PersistentProjectionConsumer(client, { group: 'g', handle, settings: { messageTimeout: 5000, maxRetryCount: 2 } }).settings()

    expect(settings).toMatchObject({ consumerStrategyName: PINNED, messageTimeout: 5000, maxRetryCount: 2 })
  })

  it('names its parked stream', () => {
    expect(new PersistentProjectionConsumer(client, { group: 'g', handle }).parkedStream).toBe('$persistentsubscription-$all::g-parked')
  })

  it.each([
    ['an empty group', { group: '' }],
    ['zero attempts', { group: 'g', maxAttempts: 0 }],
  ])('refuses %s', (_label, options) => {
    expect(() => new PersistentProjectionConsumer(client, { handle, ...options })).toThrow(RangeError)
  })
})
