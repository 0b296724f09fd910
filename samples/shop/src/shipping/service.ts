import { isStreamAlreadyExistsError } from '@eventfold/core'
import { ConsumerWorker, definePublications, defineConsumer, publish, Relay, type ConsumerDefinition, type IntegrationEnvelope, type Publications } from '@eventfold/messaging'
import { MessageTypes as T, type OrderReadyToShipV1, type ParcelShippedV1, type ShippingDetails } from '../contracts/messages'
import { shopTopicSpecs, type ShopTopics } from '../contracts/topics'
import type { OrderApi } from '../order/api'
import type { ServiceContext } from '../runtime/context'
import { startWorkers, type RunningWorkers } from '../runtime/workers'
import { ParcelShipped, ShipParcel, Shipment } from './shipment'

/** What shipping tells the order service. */
export const shippingPublications = (topics: ShopTopics): Publications =>
  definePublications({
    source: 'shipping',
    publications: [
      publish<ParcelShipped>('ParcelShipped', {
        type: T.ParcelShipped,
        topic: topics.shipping,
        map: ({ data: d }): ParcelShippedV1 => ({ orderId: d.orderId, trackingId: d.trackingId }),
      }),
    ],
    topics: shopTopicSpecs(topics).filter((t) => t.name === topics.shipping),
  })

/** Ships a ready order: the event names the order only, the address comes from the order service now. */
export const shippingConsumer = (topics: ShopTopics, namePrefix = ''): ConsumerDefinition =>
  defineConsumer(`${namePrefix}shipping`, {
    topics: [topics.orders],
    collection: 'shipping_inbox_effects',
    handlers: {
      [T.OrderReadyToShip]: async (e: IntegrationEnvelope<OrderReadyToShipV1>, { commands, fetch }) => {
        const details = (await fetch()) as ShippingDetails
        await commands
          .execute(new ShipParcel(e.data.orderId, details.sku, details.quantity, details.address))
          .catch((error: unknown) => {
            if (!isStreamAlreadyExistsError(error)) throw error
          })
      },
    },
  })

/** The shipping service running. */
export interface ShippingService {
  readonly workers: RunningWorkers
}

/** Starts shipping: relay and the consumer of ready orders, fetching through `orders`. */
export const startShippingService = ({ config, stores, transport, topics }: ServiceContext, orders: OrderApi): ShippingService => {
  const workers = startWorkers([
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications: shippingPublications(topics), maxBatchWaitMs: 5 }),
    new ConsumerWorker(shippingConsumer(topics, config.namePrefix), transport, stores.inbox, {
      aggregates: [Shipment],
      maxBatchWaitMs: 5,
      fetchers: { [T.OrderReadyToShip]: (e: IntegrationEnvelope<OrderReadyToShipV1>) => orders.shippingDetails(e.data.orderId) },
    }),
  ])
  return { workers }
}
