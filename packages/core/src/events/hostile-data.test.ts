import { describe, expect, it } from '@jest/globals'
import { Event, EventRegistry, type RecordedEvent } from '../index'
import { toAggregateDefinition } from '../spi'
import { Account } from '../__fixtures__/account'

@Event('HostileTestWithdrawn')
class Withdrawn {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}

  get valid(): boolean {
    return this.amount > 0 && this.amount <= 100
  }
}

// What JSON.parse makes of a request body: an own `__proto__` key.
const hostile = JSON.parse('{"accountId":"1","amount":1000000,"__proto__":{"amount":1000000,"valid":true}}') as object

const recorded = (data: unknown): RecordedEvent => ({
  type: 'HostileTestWithdrawn',
  data,
  metadata: { eventId: 'e', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
  streamId: 'Account-1',
  revision: 0n,
  position: 0n,
})

describe('data read from the log never replaces a prototype', () => {
  it('instantiates an event whose data has an own __proto__ key as its class, the key kept as plain data', () => {
    const registry = new EventRegistry()
    registry.registerClasses([Withdrawn])
    const event = registry.instantiate(recorded(hostile)) as Withdrawn

    expect(event).toBeInstanceOf(Withdrawn)
    expect(event.valid).toBe(false)
    expect(Object.getOwnPropertyDescriptor(event, '__proto__')?.value).toEqual({ amount: 1000000, valid: true })
    expect(({} as { valid?: unknown }).valid).toBeUndefined()
  })

  it('restores a snapshot with an own __proto__ key into the aggregate class', () => {
    const snapshot = toAggregateDefinition(Account).snapshot!
    const restored = snapshot.fromSnapshot(JSON.parse('{"owner":"Ann","balance":5,"__proto__":{"balance":1e9}}'))

    expect(restored).toBeInstanceOf(Account)
    expect(restored).toMatchObject({ owner: 'Ann', balance: 5 })
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('balance')
  })
})
