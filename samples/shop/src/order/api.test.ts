import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { OrderNotFoundError } from '../errors'
import { addressOf } from '../scenario/orders'
import { httpOrderApi, orderHttpServer, type OrderApi } from './api'

const freePort = async (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const stub: OrderApi = {
  place: async () => {},
  shippingDetails: async (orderId) => ({ orderId, sku: 'ipad-air-11', quantity: 1, address: addressOf(1) }),
}

describe('the order service over HTTP', () => {
  let server: FastifyInstance | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('waits for an order service that is restarting, so a zero-payload fetch is not parked for a restart', async () => {
    const port = await freePort()
    let started: Promise<string> | undefined
    const orders = httpOrderApi(`http://127.0.0.1:${port}`, {
      unavailableRetryMs: 10_000,
      // The service comes up once the client has found it down.
      onUnavailable: () => {
        server ??= orderHttpServer(stub)
        started ??= server.listen({ host: '127.0.0.1', port })
      },
    })
    await expect(orders.shippingDetails('o1')).resolves.toMatchObject({ orderId: 'o1', sku: 'ipad-air-11' })
    expect(started).toBeDefined()
  })

  it('gives up with OrderServiceUnavailableError once the wait is over', async () => {
    const port = await freePort()
    const orders = httpOrderApi(`http://127.0.0.1:${port}`, { unavailableRetryMs: 200 })
    await expect(orders.shippingDetails('o1')).rejects.toMatchObject({ type: 'OrderServiceUnavailableError', url: `http://127.0.0.1:${port}/orders/o1/shipping` })
  })

  it('says which order is missing', async () => {
    server = orderHttpServer({ ...stub, shippingDetails: async (orderId) => Promise.reject(new OrderNotFoundError(orderId)) })
    const url = await server.listen({ host: '127.0.0.1', port: 0 })
    await expect(httpOrderApi(url).shippingDetails('nope')).rejects.toMatchObject({ type: 'OrderNotFoundError', orderId: 'nope' })
  })
})
