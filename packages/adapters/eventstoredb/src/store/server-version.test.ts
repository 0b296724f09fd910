import { describe, expect, it } from '@jest/globals'
import { EventStoreDBClient } from '@eventstore/db-client'
import { givesStreamReadPositions, serverVersionOf, signalsCaughtUp } from './server-version'

describe('server versions', () => {
  it.each([
    ['24.10.0.1306', true],
    ['23.10.1.0', true],
    ['25.0.0', true],
    ['23.6.0.0', false],
    ['22.10.4.0', false],
    ['unknown', false],
  ])('says whether %s sends caughtUp: %p', (version, expected) => {
    expect(signalsCaughtUp(version)).toBe(expected)
  })

  it.each([
    ['22.6.0.0', true],
    ['22.10.4.0', true],
    ['25.0.0', true],
    ['22.2.0.0', false],
    ['21.10.9.0', false],
    ['unknown', false],
  ])('says whether %s gives positions on stream reads: %p', (version, expected) => {
    expect(givesStreamReadPositions(version)).toBe(expected)
  })

  it('reads the version the client learned from the server', async () => {
    // The real client, with its server features call answered as a 24.10 server would.
    const client = EventStoreDBClient.connectionString('esdb://127.0.0.1:2113?tls=false')
    Object.defineProperty(client, 'capabilities', { get: () => Promise.resolve({ serverVersion: '24.10.0.1306' }) })

    expect(await serverVersionOf(client)).toBe('24.10.0.1306')
    await client.dispose()
  })
})
