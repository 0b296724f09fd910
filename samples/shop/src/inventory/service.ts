import { createEventfold, isStreamAlreadyExistsError, type CommandBus, type Eventfold } from '@eventfold/core'
import { ConsumerWorker, defineConsumer, Relay, type ConsumerDefinition, type IntegrationEnvelope } from '@eventfold/messaging'
import { commandTarget, Deadlines, DeadlineWorker } from '@eventfold/sagas'
import { MessageTypes as T, type OrderCancelledV1, type OrderPaidV1, type OrderPlacedV1, type OrderShippedV1 } from '../contracts/messages'
import type { ShopTopics } from '../contracts/topics'
import type { ServiceContext } from '../runtime/context'
import { startWorkers, type RunningWorkers } from '../runtime/workers'
import { AllocateStock, ExpireReservation, ReleaseReservation, ReserveStock, SeedStock, ShipStock } from './commands'
import { inventoryPublications } from './publications'
import { Stock } from './stock'

/** The reservation deadline's name, in the scope `Reservation-<orderId>`. */
export const RESERVATION_EXPIRY = 'reservation-expiry'

/** Options of {@link inventoryConsumer}. */
export interface InventoryConsumerOptions {
  readonly topics: ShopTopics
  /** @default '' */
  readonly namePrefix?: string
  readonly deadlines: Deadlines
  readonly reservationTtlMs: number
  /** With `saga`, stock is released on the saga's `ReleaseReservation` command instead of on `OrderCancelled.v1`. @default 'choreography' */
  readonly flow?: 'choreography' | 'saga'
}

/**
 * Inventory's side: reserve on a placed order, allocate when paid, ship when
 * shipped; release when the order is cancelled (choreography) or when the
 * order's saga sends `ReleaseReservation` on inventory's commands topic (saga).
 */
export const inventoryConsumer = ({ topics, namePrefix = '', deadlines, reservationTtlMs, flow = 'choreography' }: InventoryConsumerOptions): ConsumerDefinition => {
  const release = async (sku: string, orderId: string, commands: CommandBus): Promise<void> => {
    await commands.execute(new ReleaseReservation(sku, orderId))
    await deadlines.scope(`Reservation-${orderId}`).cancel(RESERVATION_EXPIRY)
  }
  return defineConsumer(`${namePrefix}inventory`, {
    topics: flow === 'saga' ? [topics.orders, topics.inventoryCommands] : [topics.orders],
    collection: 'inventory_inbox_effects',
    handlers: {
      [T.OrderPlaced]: async (e: IntegrationEnvelope<OrderPlacedV1>, { commands }) => {
        // The reservation's clock starts at the order's event time, so a late delivery does not extend it.
        const expiresAt = new Date(Date.parse(e.occurredAt) + reservationTtlMs)
        const { events } = await commands.execute(new ReserveStock(e.data.sku, e.data.orderId, e.data.quantity, expiresAt.toISOString()))
        if (events.some((x) => x.type === 'StockReserved')) {
          await deadlines.scope(`Reservation-${e.data.orderId}`).schedule(RESERVATION_EXPIRY, { at: expiresAt }, { sku: e.data.sku })
        }
      },
      [T.OrderPaid]: async (e: IntegrationEnvelope<OrderPaidV1>, { commands }) => {
        await commands.execute(new AllocateStock(e.data.sku, e.data.orderId))
        await deadlines.scope(`Reservation-${e.data.orderId}`).cancel(RESERVATION_EXPIRY)
      },
      ...(flow === 'saga'
        ? { ReleaseReservation: (e: IntegrationEnvelope<{ sku: string; orderId: string }>, { commands }: { commands: CommandBus }) => release(e.data.sku, e.data.orderId, commands) }
        : { [T.OrderCancelled]: (e: IntegrationEnvelope<OrderCancelledV1>, { commands }: { commands: CommandBus }) => release(e.data.sku, e.data.orderId, commands) }),
      [T.OrderShipped]: async (e: IntegrationEnvelope<OrderShippedV1>, { commands }) => {
        await commands.execute(new ShipStock(e.data.sku, e.data.orderId))
      },
    },
  })
}

/** The inventory service running. */
export interface InventoryService {
  readonly app: Eventfold
  readonly workers: RunningWorkers
}

/** Seeds stock for SKUs that have none yet (a restarted service keeps what it has). */
export const seedStock = async (app: Eventfold, stock: Readonly<Record<string, number>>): Promise<void> => {
  for (const [sku, quantity] of Object.entries(stock)) {
    await app.commandBus.execute(new SeedStock(sku, quantity)).catch((error: unknown) => {
      if (!isStreamAlreadyExistsError(error)) throw error
    })
  }
}

/** Starts inventory: relay, consumer of the order's events, and the reservation deadlines. */
export const startInventoryService = ({ config, stores, transport, topics }: ServiceContext): InventoryService => {
  const app = createEventfold({ eventStore: stores.eventStore, aggregates: [Stock], retry: { maxAttempts: 20 } })
  const deadlineWorker = new DeadlineWorker(stores.deadlines, {
    handlers: {
      [RESERVATION_EXPIRY]: commandTarget(
        app.commandBus,
        (d) => new ExpireReservation((d.payload as { sku: string }).sku, d.scope.slice('Reservation-'.length)),
      ),
    },
  })
  const deadlines = new Deadlines(stores.deadlines, { onScheduled: () => deadlineWorker.wake() })
  const consumer = inventoryConsumer({ topics, namePrefix: config.namePrefix, deadlines, reservationTtlMs: config.reservationTtlMs, flow: config.flow })
  const workers = startWorkers([
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications: inventoryPublications(topics), maxBatchWaitMs: 5 }),
    new ConsumerWorker(consumer, transport, stores.inbox, { aggregates: [Stock], maxBatchWaitMs: 5 }),
    { run: () => deadlineWorker.start(), stop: () => deadlineWorker.stop() },
  ])
  return { app, workers }
}
