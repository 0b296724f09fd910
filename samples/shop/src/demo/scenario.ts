import type { GatewayClient } from '../scenario/client'
import { cardOf, orderOf, type OrderRequest } from '../scenario/orders'
import { finalStatus } from '../scenario/scenario-suite'

/** The demo's orders: one shipped, one refused for stock, a burst on one card (the third is fraud), and a client over the rate limit. */
export const runDemoScenario = async (client: GatewayClient, rateCapacity: number, say: (line: string) => void): Promise<string[]> => {
  const accepted: string[] = []
  const place = async (label: string, request: OrderRequest): Promise<void> => {
    const answer = await client.place(request)
    say(`POST /orders ${request.body.orderId.padEnd(10)} ${label.padEnd(34)} → ${answer.status}${answer.status === 429 ? ` Retry-After: ${answer.headers.get('retry-after')} s` : ''}`)
    if (answer.status === 202) accepted.push(request.body.orderId)
  }
  await place('alice buys an iPad Air', orderOf('alice-1', 1, 'ipad-air-11'))
  await place('bob wants 2 iPad Pro (1 in stock)', orderOf('bob-1', 2, 'ipad-pro-13', 2))
  const card = cardOf(666)
  for (const n of [1, 2, 3]) await place(`mallory's card, attempt ${n}`, orderOf(`mallory-${n}`, 3, 'pencil-pro', 1, card))
  for (let n = 1; n <= rateCapacity + 2; n++) await place(`eager-bot request ${n}`, { ...orderOf(`bot-${n}`, 40 + n, 'pencil-pro'), clientKey: 'eager-bot' })
  for (const orderId of accepted) {
    const final = await finalStatus(client, orderId, 60_000)
    say(`GET /orders/${orderId.padEnd(10)} → ${String(final.status)}${final.reason ? ` (${String(final.reason)})` : ''}`)
  }
  return accepted
}
