import { expect, it } from '@jest/globals'
import { InMemoryTransport } from '../transport/in-memory-transport'
import { consumeOnce } from './relay-crash'

it('consumeOnce applies each message id once and counts every delivery', async () => {
  const transport = new InMemoryTransport()
  await transport.declare({ name: 'crash', partitions: 2 })
  const message = (id: string) => ({ id, key: `Crash-${id}`, headers: {}, value: new TextEncoder().encode('{}') })
  await transport.publish('crash', ['a', 'b', 'a', 'c', 'b'].map(message))
  await expect(consumeOnce(transport, 'crash', 'check')(3)).resolves.toEqual({ deliveries: 5, effects: 3 })
})
