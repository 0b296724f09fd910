import { AggregateSpec } from '@eventfold/core/testing'
import { addressOf } from '../scenario/orders'
import { CancelUnpaidOrder, PlaceOrder, RecordParcelShipped, RecordPaymentCaptured, RecordPaymentDeclined, RecordStockAllocated, RecordStockRejected, RecordStockReserved } from './commands'
import { OrderCancelled, OrderPaid, OrderPlaced, OrderReadyToShip, OrderShipped, OrderStockReserved } from './events'
import { Order } from './order'

describe('Order', () => {
  const order = AggregateSpec.for<Order>(Order)
  const placed = new OrderPlaced('o1', 'c1', 'ipad-air-11', 1, 69_900, '4000000000000001', addressOf(1))
  const reserved = new OrderStockReserved('o1', 'c1', '4000000000000001', 69_900)
  const paid = new OrderPaid('o1', 'ipad-air-11', 69_900)
  const ready = new OrderReadyToShip('o1')

  it('is placed', async () => {
    await order.given([]).when(new PlaceOrder('o1', 'c1', 'ipad-air-11', 1, 69_900, '4000000000000001', addressOf(1))).then([placed])
  })
  it('asks for the payment once its stock is reserved, and only once', async () => {
    await order.given([placed]).when(new RecordStockReserved('o1')).then([reserved])
    await order.given([placed, reserved]).when(new RecordStockReserved('o1')).then([])
  })
  it('goes paid, ready, shipped', async () => {
    await order.given([placed, reserved]).when(new RecordPaymentCaptured('o1')).then([paid])
    await order.given([placed, reserved, paid]).when(new RecordStockAllocated('o1')).then([ready])
    await order.given([placed, reserved, paid, ready]).when(new RecordParcelShipped('o1', 'TRK-o1')).then([new OrderShipped('o1', 'ipad-air-11', 'TRK-o1')])
  })
  it('is cancelled when stock is short, when fraud is suspected, or when unpaid in time', async () => {
    await order.given([placed]).when(new RecordStockRejected('o1')).then([new OrderCancelled('o1', 'ipad-air-11', 'out-of-stock')])
    await order.given([placed, reserved]).when(new RecordPaymentDeclined('o1', 'fraud-suspected')).then([new OrderCancelled('o1', 'ipad-air-11', 'fraud-suspected')])
    await order.given([placed, reserved]).when(new CancelUnpaidOrder('o1')).then([new OrderCancelled('o1', 'ipad-air-11', 'payment-timeout')])
  })
  it('ignores a capture that comes after the payment deadline cancelled it (payment refunds it)', async () => {
    const cancelled = new OrderCancelled('o1', 'ipad-air-11', 'payment-timeout')
    await order.given([placed, reserved, cancelled]).when(new RecordPaymentCaptured('o1')).then([])
  })
  it('is not cancelled by the payment deadline once paid', async () => {
    await order.given([placed, reserved, paid]).when(new CancelUnpaidOrder('o1')).then([])
  })
})
