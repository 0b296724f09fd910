import { randomUUID } from 'node:crypto'
import { isUnknownReadModelError, ReadModels, type DocumentStore } from '@eventfold/projections'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Address } from '../contracts/messages'
import { isOrderServiceUnavailableError, isUnknownSkuError } from '../errors'
import type { OrderApi } from '../order/api'
import { ORDER_STATUS } from '../order/status-projection'
import { inRequestSpan } from '../runtime/tracing'
import { TokenBuckets, type TokenBucketOptions } from './rate-limit'
import { idParams, knownSkus, placeOrderBody } from './schemas'

/** Options of {@link gatewayServer}. */
export interface GatewayOptions {
  /** Where orders are placed. */
  readonly orders: OrderApi
  /** The store holding the `order_status` read model (MongoDB in a deployment). */
  readonly readModels: DocumentStore
  readonly rateLimit: Pick<TokenBucketOptions, 'capacity' | 'refillPerSecond' | 'now'>
  /** Largest request body in bytes. @default 16384 */
  readonly bodyLimit?: number
}

/** The header naming the client a token bucket belongs to; without it, the client's address. */
export const CLIENT_KEY_HEADER = 'x-client-key'

interface PlaceOrderBody {
  readonly orderId?: string
  readonly customerId: string
  readonly sku: string
  readonly quantity: number
  readonly card: string
  readonly address: Address
}

/**
 * The shop's public HTTP API. Writes go to the order service; reads come
 * from the order-status read model, never from a service's log. Every
 * refusal (400, 404, 413, 429) happens before anything is appended.
 */
export const gatewayServer = ({ orders, readModels, rateLimit, bodyLimit = 16 * 1024 }: GatewayOptions): FastifyInstance => {
  const server = Fastify({ logger: false, bodyLimit })
  const buckets = new TokenBuckets(rateLimit)
  const status = new ReadModels(readModels).collection(ORDER_STATUS)

  // Writes are limited, before the body is read: a client over its limit costs no parsing and appends nothing.
  server.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return
    const header = request.headers[CLIENT_KEY_HEADER]
    const key = typeof header === 'string' && header !== '' ? header : request.ip
    const taken = buckets.take(key)
    if (!taken.allowed) {
      return reply
        .code(429)
        .header('retry-after', String(taken.retryAfterSeconds))
        .send({ error: 'RateLimited', message: `client '${key}' is over its rate limit; retry in ${taken.retryAfterSeconds} s` })
    }
    void reply.header('x-ratelimit-remaining', String(taken.remaining))
  })

  server.post<{ Body: PlaceOrderBody }>('/orders', { schema: { body: placeOrderBody } }, async (request, reply) => {
    const body = request.body
    if (!knownSkus().includes(body.sku)) {
      return reply.code(404).send({ error: 'UnknownSku', message: `unknown SKU '${body.sku}'; the catalogue has ${knownSkus().join(', ')}` })
    }
    const orderId = body.orderId ?? randomUUID()
    await inRequestSpan('POST /orders', () => orders.place({ orderId, customerId: body.customerId, sku: body.sku, quantity: body.quantity, card: body.card, address: body.address }))
    return reply.code(202).header('location', `/orders/${orderId}`).send({ orderId, status: 'placed' })
  })

  server.get<{ Params: { id: string } }>('/orders/:id', { schema: { params: idParams } }, async (request, reply) => {
    const view = await status.get(request.params.id).catch(emptyBeforeFirstOrder(undefined))
    if (!view) return reply.code(404).send({ error: 'OrderNotFound', message: `no order '${request.params.id}'` })
    return view
  })

  server.get<{ Params: { id: string } }>('/customers/:id/orders', { schema: { params: idParams } }, async (request) => ({
    customerId: request.params.id,
    orders: await status.find({ customerId: request.params.id }, { sort: { placedAt: 1 } }).catch(emptyBeforeFirstOrder([])),
  }))

  server.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: 'ValidationError', message: `invalid request: ${error.message}` })
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'PayloadTooLarge', message: `request body is over the limit of ${bodyLimit} bytes` })
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.statusCode === 400) {
      return reply.code(400).send({ error: 'BadRequest', message: error.message })
    }
    if (isUnknownSkuError(error)) return reply.code(404).send({ error: 'UnknownSku', message: error.message })
    if (isOrderServiceUnavailableError(error)) {
      return reply.code(503).header('retry-after', '1').send({ error: 'OrderServiceUnavailable', message: 'the order service is unavailable; nothing was placed unless a retry says so, retry with the same orderId' })
    }
    return reply.code(500).send({ error: 'InternalError', message: error.message })
  })
  return server
}

/** Before the projection has run once, the read model does not exist yet: that is "no orders", not an error. */
const emptyBeforeFirstOrder =
  <T>(empty: T) =>
  (error: unknown): T => {
    if (isUnknownReadModelError(error)) return empty
    throw error
  }
