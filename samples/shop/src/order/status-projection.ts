import type { RecordedEvent } from '@eventfold/core'
import { On, Projection, type Documents } from '@eventfold/projections'
import { OrderCancelled, OrderPaid, OrderPlaced, OrderReadyToShip, OrderShipped, OrderStockReserved } from './events'
import type { OrderStatus } from './order'

/** The read model's collection, as the gateway reads it. */
export const ORDER_STATUS = 'order_status'

/** One document per order, as the gateway serves it: who, what, where it is now and how it got there. */
export interface OrderStatusView {
  readonly _id: string
  readonly customerId: string
  readonly sku: string
  readonly quantity: number
  readonly amount: number
  readonly status: OrderStatus
  readonly reason?: string
  readonly trackingId?: string
  readonly placedAt: string
  readonly updatedAt: string
  /** Each status with its time, in order. */
  readonly history: readonly { readonly status: OrderStatus; readonly at: string }[]
}

/** Builds `order_status` from the order service's log; a projection worker writes it to MongoDB. */
@Projection('order-status', { collection: ORDER_STATUS, indexes: [{ collection: ORDER_STATUS, keys: { customerId: 1 } }] })
export class OrderStatusProjection {
  @On(OrderPlaced)
  placed({ data: d, metadata }: RecordedEvent<OrderPlaced>, view: Documents): void {
    const at = metadata.occurredAt
    view.insert({ _id: d.orderId, customerId: d.customerId, sku: d.sku, quantity: d.quantity, amount: d.amount, status: 'placed', placedAt: at, updatedAt: at, history: [{ status: 'placed', at }] })
  }
  @On(OrderStockReserved)
  reserved(e: RecordedEvent<OrderStockReserved>, view: Documents): void {
    move(view, e.data.orderId, 'reserved', e.metadata.occurredAt)
  }
  @On(OrderPaid)
  paid(e: RecordedEvent<OrderPaid>, view: Documents): void {
    move(view, e.data.orderId, 'paid', e.metadata.occurredAt)
  }
  @On(OrderReadyToShip)
  ready(e: RecordedEvent<OrderReadyToShip>, view: Documents): void {
    move(view, e.data.orderId, 'ready', e.metadata.occurredAt)
  }
  @On(OrderShipped)
  shipped(e: RecordedEvent<OrderShipped>, view: Documents): void {
    move(view, e.data.orderId, 'shipped', e.metadata.occurredAt, { trackingId: e.data.trackingId })
  }
  @On(OrderCancelled)
  cancelled(e: RecordedEvent<OrderCancelled>, view: Documents): void {
    move(view, e.data.orderId, 'cancelled', e.metadata.occurredAt, { reason: e.data.reason })
  }
}

const move = (view: Documents, orderId: string, status: OrderStatus, at: string, extra: Record<string, unknown> = {}): void =>
  view.update(orderId, { $set: { status, updatedAt: at, ...extra }, $push: { history: { status, at } } })
