import { createEventfold, type Eventfold } from '@eventfold/core'
import { ConsumerWorker, defineConsumer, Relay, type ConsumerDefinition } from '@eventfold/messaging'
import { projectionFromInstance, ProjectionWorker, type DocumentStore } from '@eventfold/projections'
import {
  commandTarget,
  Deadlines,
  DeadlineWorker,
  dedupeSagaCommands,
  localCommands,
  sagaConsumerHandlers,
  Sagas,
  transportCommands,
  type DeadlineHandler,
} from '@eventfold/sagas'
import type { ServiceContext } from '../runtime/context'
import { startWorkers, type RunningWorkers } from '../runtime/workers'
import { localOrderApi, type OrderApi } from './api'
import { CancelUnpaidOrder } from './commands'
import { orderConsumer, PAYMENT_TIMEOUT } from './consumer'
import { Order } from './order'
import { orderPublications } from './publications'
import { ORDER_SAGA_COMMANDS, orderSaga } from './saga'
import { OrderStatusProjection } from './status-projection'

/** The order service running: its application, its API, its workers. */
export interface OrderService {
  readonly app: Eventfold
  readonly api: OrderApi
  readonly workers: RunningWorkers
}

/**
 * Starts the order service: the relay publishing its contract, what drives
 * each order (the consumer of the others' reports with the payment deadlines
 * in choreography, the `OrderSaga` in the saga flow), and the projection
 * worker that builds `order_status` into `readModels` (MongoDB in a deployment).
 */
export const startOrderService = ({ config, stores, transport, topics }: ServiceContext, readModels: DocumentStore): OrderService => {
  const saga = config.flow === 'saga'
  const app = createEventfold({
    eventStore: stores.eventStore,
    aggregates: [Order],
    retry: { maxAttempts: 10 },
    // A saga command sent again after a crash finds the events it already caused and does nothing.
    ...(saga && { middleware: [dedupeSagaCommands(stores.eventStore)] }),
  })
  let handlers: Record<string, DeadlineHandler>
  // The worker is made once its handlers are known; the saga's are the instances' own.
  let deadlineWorker: DeadlineWorker | undefined
  const deadlines = new Deadlines(stores.deadlines, { onScheduled: () => deadlineWorker?.wake() })
  let consumer: ConsumerDefinition
  let resendUnsent = async (): Promise<void> => {}
  if (saga) {
    const commandTopics: Record<string, string> = { inventory: topics.inventoryCommands, payment: topics.paymentCommands }
    const sagas = new Sagas({
      documents: stores.documents,
      sagas: [orderSaga(config.paymentTimeoutMs)],
      local: localCommands(app.commandBus),
      integration: transportCommands(transport, { source: 'order', topicOf: (service) => commandTopics[service] ?? `${config.namePrefix}shop.${service}.commands` }),
      deadlines,
      commands: ORDER_SAGA_COMMANDS,
    })
    handlers = sagas.deadlineHandlers()
    consumer = defineConsumer(`${config.namePrefix}order`, {
      topics: [topics.inventory, topics.payments, topics.shipping],
      collection: 'order_inbox_effects',
      handlers: sagaConsumerHandlers(sagas),
    })
    resendUnsent = async () => {
      await sagas.resendUnsent()
    }
  } else {
    handlers = { [PAYMENT_TIMEOUT]: commandTarget(app.commandBus, (d) => new CancelUnpaidOrder(d.scope.slice('Order-'.length))) }
    consumer = orderConsumer({ topics, namePrefix: config.namePrefix, deadlines, paymentTimeoutMs: config.paymentTimeoutMs })
  }
  const worker = (deadlineWorker = new DeadlineWorker(stores.deadlines, { handlers }))
  const workers = startWorkers([
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications: orderPublications(topics), maxBatchWaitMs: 5 }),
    new ConsumerWorker(consumer, transport, stores.inbox, { aggregates: [Order], maxBatchWaitMs: 5 }),
    new ProjectionWorker({ eventStore: stores.eventStore, documents: readModels, projection: projectionFromInstance(new OrderStatusProjection()), maxBatchWaitMs: 5 }),
    {
      run: async () => {
        await resendUnsent()
        await worker.start()
      },
      stop: () => worker.stop(),
    },
  ])
  return { app, api: localOrderApi(app), workers }
}
