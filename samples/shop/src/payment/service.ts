import { createEventfold, type Eventfold } from '@eventfold/core'
import { ConsumerWorker, Relay } from '@eventfold/messaging'
import type { ServiceContext } from '../runtime/context'
import { startWorkers, type RunningWorkers } from '../runtime/workers'
import { fraudDetector, paymentConsumer } from './consumers'
import { Payment } from './payment'
import { paymentPublications } from './publications'

/** The payment service running. */
export interface PaymentService {
  readonly app: Eventfold
  readonly workers: RunningWorkers
}

/** Starts payment: relay, the consumer of the order's requests and cancellations, and the fraud detector. */
export const startPaymentService = ({ config, stores, transport, topics }: ServiceContext): PaymentService => {
  const app = createEventfold({ eventStore: stores.eventStore, aggregates: [Payment] })
  const workers = startWorkers([
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications: paymentPublications(topics), maxBatchWaitMs: 5 }),
    new ConsumerWorker(paymentConsumer(topics, config.namePrefix, config.flow), transport, stores.inbox, { aggregates: [Payment], maxBatchWaitMs: 5 }),
    new ConsumerWorker(fraudDetector(topics, config.fraud, config.namePrefix), transport, stores.inbox, { aggregates: [Payment], maxBatchWaitMs: 5 }),
  ])
  return { app, workers }
}
