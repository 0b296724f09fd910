import { createServer } from 'node:net'
import { describe, expect, it } from '@jest/globals'
import { KafkaTransport, KafkaUnreachableError } from '../index'

/** A local port nothing listens on: bound, then released. */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('KafkaTransport without a broker', () => {
  it('fails declare, publish and subscribe with KafkaUnreachableError naming the brokers and the operation', async () => {
    const brokers = `127.0.0.1:${await closedPort()}`
    const transport = new KafkaTransport([brokers], { requestTimeoutMs: 2_000 })
    try {
      await expect(transport.declare({ name: 'orders' })).rejects.toBeInstanceOf(KafkaUnreachableError)
      await expect(transport.publish('orders', [{ id: 'a', key: 'k', headers: {}, value: null }])).rejects.toMatchObject({
        type: 'KafkaUnreachableError',
        operation: 'publish',
        brokers,
      })
      await expect(transport.subscribe({ group: 'billing', topics: ['orders'] })).rejects.toMatchObject({ type: 'KafkaUnreachableError', brokers })
    } finally {
      await transport.close()
    }
  })
})
