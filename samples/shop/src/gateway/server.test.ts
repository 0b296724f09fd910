import { InMemoryDocumentStore } from '@eventfold/projections'
import { OrderServiceUnavailableError } from '../errors'
import { gatewayClient } from '../scenario/client'
import { orderOf } from '../scenario/orders'
import { gatewayServer } from './server'

describe('the gateway', () => {
  it('answers 503 with Retry-After when the order service is down, naming the order id as the retry key', async () => {
    const server = gatewayServer({
      orders: {
        place: async () => Promise.reject(new OrderServiceUnavailableError('http://127.0.0.1:1/orders', 0)),
        shippingDetails: async () => Promise.reject(new Error('not called')),
      },
      readModels: new InMemoryDocumentStore(),
      rateLimit: { capacity: 10, refillPerSecond: 1 },
    })
    try {
      const client = gatewayClient(await server.listen({ host: '127.0.0.1', port: 0 }))
      const answer = await client.place(orderOf('down-1', 1))
      expect(answer.status).toBe(503)
      expect(answer.headers.get('retry-after')).toBe('1')
      expect(answer.body.message).toMatch(/retry with the same orderId/)
    } finally {
      await server.close()
    }
  })
})
