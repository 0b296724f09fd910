import { createEventfold, type Eventfold } from '@eventfold/core'
import { ConsumerWorker, Relay } from '@eventfold/messaging'
import { projectionFromInstance, ProjectionWorker, type DocumentStore } from '@eventfold/projections'
import { commandTarget, Deadlines, DeadlineWorker } from '@eventfold/sagas'
import type { ServiceContext } from '../runtime/context'
import { startWorkers, type RunningWorkers } from '../runtime/workers'
import { localOrderApi, type OrderApi } from './api'
import { CancelUnpaidOrder } from './commands'
import { orderConsumer, PAYMENT_TIMEOUT } from './consumer'
import { Order } from './order'
import { orderPublications } from './publications'
import { OrderStatusProjection } from './status-projection'

/** The order service running: its application, its API, its workers. */
export interface OrderService {
  readonly app: Eventfold
  readonly api: OrderApi
  readonly workers: RunningWorkers
}

/**
 * Starts the order service: the relay publishing its contract, the consumer
 * of the others' reports, the payment deadlines, and the projection worker
 * that builds `order_status` into `readModels` (MongoDB in a deployment).
 */
export const startOrderService = ({ config, stores, transport, topics }: ServiceContext, readModels: DocumentStore): OrderService => {
  const app = createEventfold({ eventStore: stores.eventStore, aggregates: [Order], retry: { maxAttempts: 10 } })
  const deadlineWorker = new DeadlineWorker(stores.deadlines, {
    handlers: { [PAYMENT_TIMEOUT]: commandTarget(app.commandBus, (d) => new CancelUnpaidOrder(d.scope.slice('Order-'.length))) },
  })
  const deadlines = new Deadlines(stores.deadlines, { onScheduled: () => deadlineWorker.wake() })
  const consumer = orderConsumer({ topics, namePrefix: config.namePrefix, deadlines, paymentTimeoutMs: config.paymentTimeoutMs })
  const workers = startWorkers([
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications: orderPublications(topics), maxBatchWaitMs: 5 }),
    new ConsumerWorker(consumer, transport, stores.inbox, { aggregates: [Order], maxBatchWaitMs: 5 }),
    new ProjectionWorker({ eventStore: stores.eventStore, documents: readModels, projection: projectionFromInstance(new OrderStatusProjection()), maxBatchWaitMs: 5 }),
    { run: () => deadlineWorker.start(), stop: () => deadlineWorker.stop() },
  ])
  return { app, api: localOrderApi(app), workers }
}
