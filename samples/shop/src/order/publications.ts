import type { RecordedEvent } from '@eventfold/core'
import { definePublications, publish, type Publications } from '@eventfold/messaging'
import { MessageTypes as T, type OrderCancelledV1, type OrderPaidV1, type OrderPlacedV1, type OrderShippedV1, type PaymentRequestedV1 } from '../contracts/messages'
import { shopTopicSpecs, type ShopTopics } from '../contracts/topics'
import type { OrderCancelled, OrderPaid, OrderPlaced, OrderShipped, OrderStockReserved } from './events'

/** What the order service tells the others; the address and the rest of the order stay inside. */
export const orderPublications = (topics: ShopTopics): Publications =>
  definePublications({
    source: 'order',
    publications: [
      publish<OrderPlaced>('OrderPlaced', {
        type: T.OrderPlaced,
        topic: topics.orders,
        map: ({ data: d }: RecordedEvent<OrderPlaced>): OrderPlacedV1 => ({ orderId: d.orderId, customerId: d.customerId, sku: d.sku, quantity: d.quantity }),
      }),
      publish<OrderStockReserved>('OrderStockReserved', {
        type: T.PaymentRequested,
        topic: topics.orders,
        map: ({ data: d }): PaymentRequestedV1 => ({ orderId: d.orderId, customerId: d.customerId, card: d.card, amount: d.amount }),
      }),
      publish<OrderPaid>('OrderPaid', { type: T.OrderPaid, topic: topics.orders, map: ({ data: d }): OrderPaidV1 => ({ orderId: d.orderId, sku: d.sku }) }),
      // Zero-payload: shipping fetches the address from this service when it gets to the parcel.
      publish('OrderReadyToShip', { type: T.OrderReadyToShip, topic: topics.orders, payload: 'reference', map: (e) => ({ orderId: (e.data as { orderId: string }).orderId }) }),
      publish<OrderCancelled>('OrderCancelled', {
        type: T.OrderCancelled,
        topic: topics.orders,
        map: ({ data: d }): OrderCancelledV1 => ({ orderId: d.orderId, sku: d.sku, reason: d.reason }),
      }),
      publish<OrderShipped>('OrderShipped', { type: T.OrderShipped, topic: topics.orders, map: ({ data: d }): OrderShippedV1 => ({ orderId: d.orderId, sku: d.sku }) }),
    ],
    topics: shopTopicSpecs(topics).filter((t) => t.name === topics.orders),
  })
