import { isStreamAlreadyExistsError, type Eventfold } from '@eventfold/core'
import { backoffDelay, sleep } from '@eventfold/core/spi'
import { context } from '@opentelemetry/api'
import Fastify, { type FastifyInstance } from 'fastify'
import { CATALOG, productOf } from '../contracts/catalog'
import type { Address, ShippingDetails } from '../contracts/messages'
import { OrderNotFoundError, OrderServiceError, OrderServiceUnavailableError, UnknownSkuError } from '../errors'
import { PlaceOrder } from './commands'
import { requestContext, traceHeaders } from '../runtime/tracing'
import { Order } from './order'

/** An order as the gateway hands it over, already validated against its schema. */
export interface PlaceOrderInput {
  readonly orderId: string
  readonly customerId: string
  readonly sku: string
  readonly quantity: number
  readonly card: string
  readonly address: Address
}

/** The order service's commands and queries that other services call directly. */
export interface OrderApi {
  /**
   * Places an order priced from the catalogue. Placing the same id again is a no-op (a retried request).
   * @throws {@link UnknownSkuError} for a SKU the catalogue lacks.
   */
  place(input: PlaceOrderInput): Promise<void>
  /**
   * What shipping needs for a parcel, as the order holds it now.
   * @throws {@link OrderNotFoundError} when there is no such order.
   */
  shippingDetails(orderId: string): Promise<ShippingDetails>
}

/** The API on the order service's own application (in its process). */
export const localOrderApi = (app: Eventfold): OrderApi => ({
  async place(input) {
    const product = productOf(input.sku)
    if (!product) throw new UnknownSkuError(input.sku, CATALOG.map((p) => p.sku))
    const command = new PlaceOrder(input.orderId, input.customerId, input.sku, input.quantity, product.price * input.quantity, input.card, input.address)
    // The order id is the flow's correlation id: every service's events for this order carry it, and `eventfold trace <orderId>` follows it.
    await app.commandBus.execute(command, { metadata: { correlationId: input.orderId } }).catch((error: unknown) => {
      if (!isStreamAlreadyExistsError(error)) throw error
    })
  },
  async shippingDetails(orderId) {
    const loaded = await app.repository.load<Order>(Order, orderId)
    if (loaded.revision === undefined || !loaded.state.address) throw new OrderNotFoundError(orderId)
    const { sku, quantity, address } = loaded.state
    return { orderId, sku, quantity, address }
  },
})

/** Serves an {@link OrderApi} over HTTP for the other services' processes. */
export const orderHttpServer = (api: OrderApi): FastifyInstance => {
  const server = Fastify({ logger: false })
  server.post<{ Body: PlaceOrderInput }>('/orders', async (request, reply) => {
    // The caller's trace (the gateway's request) is the parent of the order's command.
    await context.with(requestContext(request.headers), () => api.place(request.body))
    return reply.code(201).send({ orderId: request.body.orderId })
  })
  server.get<{ Params: { id: string } }>('/orders/:id/shipping', (request) => api.shippingDetails(request.params.id))
  server.setErrorHandler((error: Error & { type?: string }, _request, reply) => {
    const status = error instanceof OrderNotFoundError || error instanceof UnknownSkuError ? 404 : 500
    void reply.code(status).send({ error: error.type ?? 'Error', message: error.message })
  })
  return server
}

/** Options of {@link httpOrderApi}. */
export interface HttpOrderApiOptions {
  /**
   * How long a call waits for an order service that refuses connections or
   * answers 503 (a restart), retrying with backoff, before it fails with
   * {@link OrderServiceUnavailableError}.
   * @default 0 (fail at once: the gateway answers its client rather than hold the request)
   */
  readonly unavailableRetryMs?: number
  /** Told each time the service is found unavailable, before the wait. */
  readonly onUnavailable?: (url: string, error: unknown) => void
}

/** An {@link OrderApi} that calls the order service's HTTP server at `baseUrl`. */
export const httpOrderApi = (baseUrl: string, { unavailableRetryMs = 0, onUnavailable }: HttpOrderApiOptions = {}): OrderApi => {
  /** One response, waiting out an unavailable service for up to `unavailableRetryMs`. */
  const respond = async (url: string, init?: RequestInit): Promise<Response> => {
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      let failure: unknown
      try {
        const response = await fetch(url, init)
        if (response.status !== 503) return response
        failure = new OrderServiceError(url, 503, await response.text())
      } catch (error) {
        failure = error // connection refused or reset: the process is down or restarting
      }
      const waited = Date.now() - started
      if (waited >= unavailableRetryMs) throw new OrderServiceUnavailableError(url, waited, { cause: failure })
      onUnavailable?.(url, failure)
      await sleep(Math.min(backoffDelay(attempt + 1, { initialDelayMs: 50, maxDelayMs: 1000 }), unavailableRetryMs - waited))
    }
  }
  /** Calls the service; a 404 is handed to `notFound` with the error type the service named. */
  const call = async (path: string, notFound: (errorType: string | undefined) => Error | undefined, init?: RequestInit): Promise<unknown> => {
    const url = `${baseUrl}${path}`
    const response = await respond(url, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...traceHeaders() } })
    const text = await response.text()
    if (response.ok) return JSON.parse(text)
    const known = response.status === 404 ? notFound(safeJson(text)?.error) : undefined
    throw known ?? new OrderServiceError(url, response.status, text)
  }
  return {
    place: async (input) => {
      const unknownSku = (type: string | undefined) => (type === 'UnknownSkuError' ? new UnknownSkuError(input.sku, CATALOG.map((p) => p.sku)) : undefined)
      await call('/orders', unknownSku, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) })
    },
    shippingDetails: async (orderId) => {
      const noOrder = (type: string | undefined) => (type === 'OrderNotFoundError' ? new OrderNotFoundError(orderId) : undefined)
      return (await call(`/orders/${encodeURIComponent(orderId)}/shipping`, noOrder)) as ShippingDetails
    },
  }
}

const safeJson = (text: string): { error?: string } | undefined => {
  try {
    return JSON.parse(text) as { error?: string }
  } catch {
    return undefined
  }
}
