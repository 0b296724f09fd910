import { SagaSpec } from '@eventfold/sagas/testing'
import { MessageTypes as T } from '../contracts/messages'
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
import { orderSaga, SAGA_PAYMENT_TIMEOUT } from './saga'

const TIMEOUT = 120_000
const OrderSaga = orderSaga(TIMEOUT)

// What inventory, payment and shipping publish, as the saga receives them from the broker.
const reserved = { type: T.StockReserved, data: { orderId: 'o1', sku: 'ipad-air-11', quantity: 1 } }
const rejected = { type: T.StockRejected, data: { orderId: 'o1', sku: 'ipad-air-11', quantity: 1 } }
const captured = { type: T.PaymentCaptured, data: { orderId: 'o1', amount: 59900 } }
const declined = { type: T.PaymentDeclined, data: { orderId: 'o1', reason: 'fraud-suspected' } }
const expired = { type: T.ReservationExpired, data: { orderId: 'o1' } }
const allocated = { type: T.StockAllocated, data: { orderId: 'o1' } }
const shipped = { type: T.ParcelShipped, data: { orderId: 'o1', trackingId: 't-1' } }

// Most recent first: the payment the order asked for is voided or refunded before its stock goes back.
const compensations = [
  { command: new CancelPayment('o1', 'order-cancelled'), to: 'payment' },
  { command: new ReleaseReservation('ipad-air-11', 'o1'), to: 'inventory' },
]

describe('OrderSaga', () => {
  it('starts on the reserved stock: moves the order on and starts the payment clock', async () => {
    await SagaSpec.for(OrderSaga)
      .given([])
      .when(reserved)
      .then({
        commands: [new RecordStockReserved('o1')],
        scheduled: [{ name: SAGA_PAYMENT_TIMEOUT, after: TIMEOUT }],
        ended: false,
        state: { orderId: 'o1', sku: 'ipad-air-11', step: 'reserved' },
      })
  })

  it('ends an order refused for stock at once, with nothing to undo', async () => {
    await SagaSpec.for(OrderSaga).given([]).when(rejected).then({ commands: [new RecordStockRejected('o1')], ended: true })
  })

  it('stops the payment clock when the payment is captured', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved])
      .when(captured)
      .then({ commands: [new RecordPaymentCaptured('o1')], cancelled: [SAGA_PAYMENT_TIMEOUT], ended: false, state: { step: 'paid' } })
  })

  it('makes a paid order with allocated stock ready to ship', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved, captured])
      .when(allocated)
      .then({ commands: [new RecordStockAllocated('o1')], ended: false, state: { step: 'allocated' } })
  })

  it('ends when the parcel is shipped', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved, captured, allocated])
      .when(shipped)
      .then({ commands: [new RecordParcelShipped('o1', 't-1')], ended: true })
  })

  it('compensates a declined payment in reverse order, then cancels the order', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved])
      .when(declined)
      .then({ commands: [...compensations, new RecordPaymentDeclined('o1', 'fraud-suspected')], cancelled: [SAGA_PAYMENT_TIMEOUT], ended: true })
  })

  it('cancels an order unpaid at the payment deadline, undoing what was done', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved])
      .when(SagaSpec.deadline(SAGA_PAYMENT_TIMEOUT))
      .then({ commands: [...compensations, new CancelUnpaidOrder('o1')], ended: true })
  })

  it('cancels an unpaid order whose reservation expired, voiding its payment', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved])
      .when(expired)
      .then({ commands: [...compensations, new RecordReservationExpired('o1')], ended: true })
  })

  it('leaves a paid order whose reservation expired to inventory, which renews it when it allocates', async () => {
    await SagaSpec.for(OrderSaga).given([reserved, captured]).when(expired).then({ commands: [], ended: false })
  })

  it('refunds a paid order whose expired reservation could not be renewed, and cancels it', async () => {
    await SagaSpec.for(OrderSaga)
      .given([reserved, captured])
      .when(rejected)
      .then({ commands: [...compensations, new RecordStockRejected('o1')], ended: true })
  })

  it('compensates once: a second failure after the end moves nothing', async () => {
    await SagaSpec.for(OrderSaga).given([reserved, declined]).when(SagaSpec.deadline(SAGA_PAYMENT_TIMEOUT)).then({ commands: [] })
  })
})
