import type { Address } from '../contracts/messages'

/** A request to `POST /orders`, and the client key it is sent under. */
export interface OrderRequest {
  readonly clientKey: string
  readonly body: {
    readonly orderId: string
    readonly customerId: string
    readonly sku: string
    readonly quantity: number
    readonly card: string
    readonly address: Address
  }
}

/** A plausible address for customer `n`. */
export const addressOf = (n: number): Address => ({ name: `Customer ${n}`, street: `${n} Infinite Loop`, city: 'Cupertino', postcode: '95014', country: 'US' })

/** A card number of customer `n` (16 digits). */
export const cardOf = (n: number): string => `4000${String(n).padStart(12, '0')}`

/** An order of `sku` by customer `n`, on their own card. */
export const orderOf = (orderId: string, n: number, sku = 'ipad-air-11', quantity = 1, card = cardOf(n)): OrderRequest => ({
  clientKey: `client-${n}`,
  body: { orderId, customerId: `c${n}`, sku, quantity, card, address: addressOf(n) },
})

/** Final states: nothing more happens to the order. */
export const FINAL = new Set(['shipped', 'cancelled'])
