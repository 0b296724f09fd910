import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@eventfold/core'
import type { Address } from '../contracts/messages'
import {
  CancelUnpaidOrder,
  PlaceOrder,
  RecordParcelShipped,
  RecordPaymentCaptured,
  RecordPaymentDeclined,
  RecordReservationExpired,
  RecordStockAllocated,
  RecordStockRejected,
  RecordStockReserved,
} from './commands'
import { OrderCancelled, OrderPaid, OrderPlaced, OrderReadyToShip, OrderShipped, OrderStockReserved } from './events'

/** Where an order is. `shipped` and `cancelled` are final. */
export type OrderStatus = 'placed' | 'reserved' | 'paid' | 'ready' | 'shipped' | 'cancelled'

/**
 * An order of one product line. Every report from another service is decided
 * against the status: one that comes too late (an order already cancelled)
 * or twice appends nothing, so consumers never fail on a business outcome.
 */
@Aggregate('Order')
export class Order extends AggregateRoot {
  status: OrderStatus = 'placed'
  customerId = ''
  sku = ''
  quantity = 0
  amount = 0
  card = ''
  address: Address | undefined
  reason: string | undefined

  @CommandHandler(PlaceOrder, { creates: true })
  place(c: PlaceOrder): void {
    if (!Number.isSafeInteger(c.quantity) || c.quantity < 1) throw new DomainError(`quantity must be a whole number ≥ 1, got ${c.quantity}`, 'invalid-quantity')
    this.apply(new OrderPlaced(c.orderId, c.customerId, c.sku, c.quantity, c.amount, c.card, c.address))
  }

  @CommandHandler(RecordStockReserved)
  stockReserved({ orderId }: RecordStockReserved): void {
    if (this.status === 'placed') this.apply(new OrderStockReserved(orderId, this.customerId, this.card, this.amount))
  }

  @CommandHandler(RecordStockRejected)
  stockRejected({ orderId }: RecordStockRejected): void {
    // A paid order whose expired reservation could not be renewed is cancelled too: payment refunds it.
    if (this.status === 'placed' || this.status === 'paid') this.cancel(orderId, 'out-of-stock')
  }

  @CommandHandler(RecordReservationExpired)
  reservationExpired({ orderId }: RecordReservationExpired): void {
    if (this.status === 'reserved') this.cancel(orderId, 'reservation-expired')
  }

  @CommandHandler(RecordPaymentCaptured)
  paymentCaptured({ orderId }: RecordPaymentCaptured): void {
    if (this.status === 'reserved') this.apply(new OrderPaid(orderId, this.sku, this.amount))
  }

  @CommandHandler(RecordPaymentDeclined)
  paymentDeclined({ orderId, reason }: RecordPaymentDeclined): void {
    if (this.status === 'reserved') this.cancel(orderId, reason)
  }

  @CommandHandler(RecordStockAllocated)
  stockAllocated({ orderId }: RecordStockAllocated): void {
    if (this.status === 'paid') this.apply(new OrderReadyToShip(orderId))
  }

  @CommandHandler(RecordParcelShipped)
  parcelShipped({ orderId, trackingId }: RecordParcelShipped): void {
    if (this.status === 'ready') this.apply(new OrderShipped(orderId, this.sku, trackingId))
  }

  @CommandHandler(CancelUnpaidOrder)
  cancelUnpaid({ orderId }: CancelUnpaidOrder): void {
    if (this.status === 'placed' || this.status === 'reserved') this.cancel(orderId, 'payment-timeout')
  }

  private cancel(orderId: string, reason: string): void {
    this.apply(new OrderCancelled(orderId, this.sku, reason))
  }

  @EventSourcingHandler(OrderPlaced)
  onPlaced(e: OrderPlaced): void {
    Object.assign(this, { customerId: e.customerId, sku: e.sku, quantity: e.quantity, amount: e.amount, card: e.card, address: e.address })
  }
  @EventSourcingHandler(OrderStockReserved)
  onReserved(): void {
    this.status = 'reserved'
  }
  @EventSourcingHandler(OrderPaid)
  onPaid(): void {
    this.status = 'paid'
  }
  @EventSourcingHandler(OrderReadyToShip)
  onReady(): void {
    this.status = 'ready'
  }
  @EventSourcingHandler(OrderShipped)
  onShipped(): void {
    this.status = 'shipped'
  }
  @EventSourcingHandler(OrderCancelled)
  onCancelled(e: OrderCancelled): void {
    this.status = 'cancelled'
    this.reason = e.reason
  }
}
