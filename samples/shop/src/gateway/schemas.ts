import { CATALOG } from '../contracts/catalog'

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const

/** The body of `POST /orders`. */
export const placeOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'sku', 'quantity', 'card', 'address'],
  properties: {
    orderId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    customerId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    sku: text(64),
    quantity: { type: 'integer', minimum: 1, maximum: 10 },
    card: { type: 'string', pattern: '^[0-9]{12,19}$' },
    address: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'street', 'city', 'postcode', 'country'],
      properties: { name: text(100), street: text(200), city: text(100), postcode: text(20), country: { type: 'string', pattern: '^[A-Z]{2}$' } },
    },
  },
} as const

/** SKUs the gateway accepts; any other is a 404. */
export const knownSkus = (): readonly string[] => CATALOG.map((p) => p.sku)

/** The id parameter of `/orders/:id` and `/customers/:id/orders`. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const
