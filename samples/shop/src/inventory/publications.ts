import { definePublications, publish, type Publications } from '@eventfold/messaging'
import { MessageTypes as T, type ReservationExpiredV1, type StockAllocatedV1, type StockRejectedV1, type StockReservedV1 } from '../contracts/messages'
import { shopTopicSpecs, type ShopTopics } from '../contracts/topics'
import type { ReservationExpired, StockAllocated, StockRejected, StockReserved } from './events'

/** What inventory tells the order service about each order's stock. */
export const inventoryPublications = (topics: ShopTopics): Publications =>
  definePublications({
    source: 'inventory',
    publications: [
      publish<StockReserved>('StockReserved', {
        type: T.StockReserved,
        topic: topics.inventory,
        map: ({ data: d }): StockReservedV1 => ({ orderId: d.orderId, sku: d.sku, quantity: d.quantity }),
      }),
      publish<StockRejected>('StockRejected', {
        type: T.StockRejected,
        topic: topics.inventory,
        map: ({ data: d }): StockRejectedV1 => ({ orderId: d.orderId, sku: d.sku, available: d.available }),
      }),
      publish<StockAllocated>('StockAllocated', { type: T.StockAllocated, topic: topics.inventory, map: ({ data: d }): StockAllocatedV1 => ({ orderId: d.orderId }) }),
      publish<ReservationExpired>('ReservationExpired', {
        type: T.ReservationExpired,
        topic: topics.inventory,
        map: ({ data: d }): ReservationExpiredV1 => ({ orderId: d.orderId }),
      }),
    ],
    topics: shopTopicSpecs(topics).filter((t) => t.name === topics.inventory),
  })
