import { defineConsumer, type ConsumerDefinition, type IntegrationEnvelope } from '@eventfold/messaging'
import type { Deadlines } from '@eventfold/sagas'
import {
  MessageTypes as T,
  type ParcelShippedV1,
  type PaymentCapturedV1,
  type PaymentDeclinedV1,
  type ReservationExpiredV1,
  type StockAllocatedV1,
  type StockRejectedV1,
  type StockReservedV1,
} from '../contracts/messages'
import type { ShopTopics } from '../contracts/topics'
import {
  RecordParcelShipped,
  RecordPaymentCaptured,
  RecordPaymentDeclined,
  RecordReservationExpired,
  RecordStockAllocated,
  RecordStockRejected,
  RecordStockReserved,
} from './commands'

/** The payment deadline's name, in each order's scope. */
export const PAYMENT_TIMEOUT = 'payment-timeout'

/** Options of {@link orderConsumer}. */
export interface OrderConsumerOptions {
  readonly topics: ShopTopics
  /** Prefix of the consumer group. @default '' */
  readonly namePrefix?: string
  readonly deadlines: Deadlines
  readonly paymentTimeoutMs: number
}

/**
 * Choreography, the order's side: it records what inventory, payment and
 * shipping report, and each report moves the order on (or cancels it, which
 * the others compensate for). A stock reservation starts the payment clock.
 */
export const orderConsumer = ({ topics, namePrefix = '', deadlines, paymentTimeoutMs }: OrderConsumerOptions): ConsumerDefinition =>
  defineConsumer(`${namePrefix}order`, {
    topics: [topics.inventory, topics.payments, topics.shipping],
    collection: 'order_inbox_effects',
    handlers: {
      [T.StockReserved]: async (e: IntegrationEnvelope<StockReservedV1>, { commands }) => {
        const { streamId, events } = await commands.execute(new RecordStockReserved(e.data.orderId))
        if (events.length > 0) await deadlines.scope(streamId).schedule(PAYMENT_TIMEOUT, { after: paymentTimeoutMs })
      },
      [T.StockRejected]: async (e: IntegrationEnvelope<StockRejectedV1>, { commands }) => {
        await commands.execute(new RecordStockRejected(e.data.orderId))
      },
      [T.ReservationExpired]: async (e: IntegrationEnvelope<ReservationExpiredV1>, { commands }) => {
        await commands.execute(new RecordReservationExpired(e.data.orderId))
      },
      [T.PaymentCaptured]: async (e: IntegrationEnvelope<PaymentCapturedV1>, { commands }) => {
        const { streamId } = await commands.execute(new RecordPaymentCaptured(e.data.orderId))
        await deadlines.scope(streamId).cancel(PAYMENT_TIMEOUT)
      },
      [T.PaymentDeclined]: async (e: IntegrationEnvelope<PaymentDeclinedV1>, { commands }) => {
        const { streamId } = await commands.execute(new RecordPaymentDeclined(e.data.orderId, e.data.reason))
        await deadlines.scope(streamId).cancel(PAYMENT_TIMEOUT)
      },
      [T.StockAllocated]: async (e: IntegrationEnvelope<StockAllocatedV1>, { commands }) => {
        await commands.execute(new RecordStockAllocated(e.data.orderId))
      },
      [T.ParcelShipped]: async (e: IntegrationEnvelope<ParcelShippedV1>, { commands }) => {
        await commands.execute(new RecordParcelShipped(e.data.orderId, e.data.trackingId))
      },
    },
  })
