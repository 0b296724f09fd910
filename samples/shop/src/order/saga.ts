import { EndSaga, Saga, SagaDeadlineHandler, SagaEventHandler, StartSaga, type SagaContext } from '@eventfold/sagas'
import {
  MessageTypes as T,
  type ParcelShippedV1,
  type PaymentDeclinedV1,
  type StockRejectedV1,
  type StockReservedV1,
} from '../contracts/messages'
import { ReleaseReservation } from '../inventory/commands'
import { CancelPayment } from '../payment/commands'
import {
  CancelUnpaidOrder,
  RecordParcelShipped,
  RecordPaymentCaptured,
  RecordPaymentDeclined,
  RecordReservationExpired,
  RecordStockAllocated,
  RecordStockRejected,
  RecordStockReserved,
} from './commands'

/** The saga's name, and the payment deadline it schedules. */
export const ORDER_SAGA = 'order'
export const SAGA_PAYMENT_TIMEOUT = 'payment-timeout'

/** The services the saga sends its compensations to, as integration commands. */
export const SAGA_COMMAND_TARGETS = ['inventory', 'payment'] as const

/** The commands the saga sends, so that an outbox left by a crash is sent again as these classes. */
export const ORDER_SAGA_COMMANDS = [
  RecordStockReserved,
  RecordStockRejected,
  RecordReservationExpired,
  RecordPaymentCaptured,
  RecordPaymentDeclined,
  RecordStockAllocated,
  RecordParcelShipped,
  CancelUnpaidOrder,
  ReleaseReservation,
  CancelPayment,
]

/** Where one order is, as the saga sees it. */
export type OrderSagaStep = 'reserved' | 'paid' | 'allocated'

/**
 * The orchestrated order flow (reserve → pay → ship): one instance per order,
 * started by inventory's answer to the placed order. It moves the order on
 * with local commands, holds the payment deadline, and on a failure or the
 * deadline sends the compensations it recorded (void or refund the payment,
 * then release the stock) to the services that own them.
 * @param paymentTimeoutMs how long a reserved order may stay unpaid.
 */
export const orderSaga = (paymentTimeoutMs: number): new () => object => {
  @Saga(ORDER_SAGA)
  class OrderSaga {
    orderId = ''
    sku = ''
    step: OrderSagaStep = 'reserved'

    @StartSaga(T.StockReserved, { associate: 'orderId' })
    reserved(e: StockReservedV1, ctx: SagaContext): void {
      Object.assign(this, { orderId: e.orderId, sku: e.sku, step: 'reserved' })
      ctx.compensateWith(new ReleaseReservation(e.sku, e.orderId), { to: 'inventory' })
      // Recorded now, so that a cancellation that overtakes the fraud check voids the payment it asked for.
      ctx.compensateWith(new CancelPayment(e.orderId, 'order-cancelled'), { to: 'payment' })
      ctx.send(new RecordStockReserved(e.orderId))
      ctx.schedule(SAGA_PAYMENT_TIMEOUT, { after: paymentTimeoutMs })
    }

    /** Out of stock at the start, or a paid order whose expired reservation could not be renewed. */
    @EndSaga
    @StartSaga(T.StockRejected, { associate: 'orderId' })
    rejected(e: StockRejectedV1, ctx: SagaContext): void {
      ctx.compensate()
      ctx.send(new RecordStockRejected(e.orderId))
    }

    @SagaEventHandler(T.PaymentCaptured, { associate: 'orderId' })
    captured(_e: unknown, ctx: SagaContext): void {
      this.step = 'paid'
      ctx.cancel(SAGA_PAYMENT_TIMEOUT)
      ctx.send(new RecordPaymentCaptured(this.orderId))
    }

    @EndSaga
    @SagaEventHandler(T.PaymentDeclined, { associate: 'orderId' })
    declined(e: PaymentDeclinedV1, ctx: SagaContext): void {
      ctx.compensate()
      ctx.send(new RecordPaymentDeclined(this.orderId, e.reason))
    }

    @SagaEventHandler(T.ReservationExpired, { associate: 'orderId' })
    expired(_e: unknown, ctx: SagaContext): void {
      // A paid order's expired reservation is renewed by inventory when it allocates; only an unpaid one is lost.
      if (this.step !== 'reserved') return
      ctx.compensate()
      ctx.send(new RecordReservationExpired(this.orderId))
      ctx.end()
    }

    @SagaEventHandler(T.StockAllocated, { associate: 'orderId' })
    allocated(_e: unknown, ctx: SagaContext): void {
      this.step = 'allocated'
      ctx.send(new RecordStockAllocated(this.orderId))
    }

    @EndSaga
    @SagaEventHandler(T.ParcelShipped, { associate: 'orderId' })
    shipped(e: ParcelShippedV1, ctx: SagaContext): void {
      ctx.send(new RecordParcelShipped(this.orderId, e.trackingId))
    }

    @EndSaga
    @SagaDeadlineHandler(SAGA_PAYMENT_TIMEOUT)
    timedOut(_payload: unknown, ctx: SagaContext): void {
      ctx.compensate()
      ctx.send(new CancelUnpaidOrder(this.orderId))
    }
  }
  return OrderSaga
}
