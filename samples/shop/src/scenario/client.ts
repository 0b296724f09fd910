import { CLIENT_KEY_HEADER } from '../gateway/server'
import type { OrderRequest } from './orders'

/** A gateway answer: status, JSON body, headers. */
export interface GatewayResponse {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Headers
}

/** A small HTTP client of the gateway, as a customer's app would use it. */
export const gatewayClient = (baseUrl: string) => {
  const call = async (path: string, init?: RequestInit): Promise<GatewayResponse> => {
    const response = await fetch(`${baseUrl}${path}`, init)
    const text = await response.text()
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers }
  }
  return {
    place: (request: OrderRequest) =>
      call('/orders', { method: 'POST', headers: { 'content-type': 'application/json', [CLIENT_KEY_HEADER]: request.clientKey }, body: JSON.stringify(request.body) }),
    /** Sends `body` as it is, for tests of bad input. */
    raw: (body: string, headers: Record<string, string> = {}) => call('/orders', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
    order: (orderId: string) => call(`/orders/${encodeURIComponent(orderId)}`, { headers: { [CLIENT_KEY_HEADER]: 'status-reader' } }),
    customerOrders: (customerId: string) => call(`/customers/${encodeURIComponent(customerId)}/orders`, { headers: { [CLIENT_KEY_HEADER]: 'status-reader' } }),
  }
}

/** What {@link gatewayClient} returns. */
export type GatewayClient = ReturnType<typeof gatewayClient>
