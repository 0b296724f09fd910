import { describe, expect, it } from '@jest/globals'
import { transportContract } from '../testing/transport-contract'
import { InMemoryTransport, inMemoryDeadLetterTopic } from './in-memory-transport'
import { DEAD_LETTER_REASON_HEADER } from './transport'

transportContract('InMemoryTransport', { replaysHistory: true, compaction: true }, async () => ({ transport: new InMemoryTransport() }))

describe('InMemoryTransport', () => {
  it('puts a dead letter on the group dead-letter topic with its reason', async () => {
    const transport = new InMemoryTransport()
    await transport.declare({ name: 'orders' })
    const member = await transport.subscribe({ group: 'billing', topics: ['orders'] })
    await transport.publish('orders', [{ id: 'e1', key: 'Order-1', headers: {}, value: new Uint8Array([1]) }])
    const [delivery] = await member.read(1, 0, new Promise(() => {}))
    await member.deadLetter(delivery!, 'boom')
    const parked = await transport.subscribe({ group: 'ops', topics: [inMemoryDeadLetterTopic('billing', 'orders')] })
    const [letter] = await parked.read(1, 0, new Promise(() => {}))
    expect(letter).toMatchObject({ id: 'e1', key: 'Order-1', headers: { [DEAD_LETTER_REASON_HEADER]: 'boom' } })
    await transport.close()
  })

  it('flags a delivery that a member of the group was handed before as redelivered', async () => {
    const transport = new InMemoryTransport()
    await transport.declare({ name: 'orders' })
    const first = await transport.subscribe({ group: 'g', topics: ['orders'] })
    await transport.publish('orders', [{ id: 'e1', key: 'k', headers: {}, value: null }])
    expect((await first.read(1, 0, new Promise(() => {})))[0]!.redelivered).toBe(false)
    await first.close()
    const second = await transport.subscribe({ group: 'g', topics: ['orders'] })
    expect((await second.read(1, 0, new Promise(() => {})))[0]!.redelivered).toBe(true)
    await transport.close()
  })
})
