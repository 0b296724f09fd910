import { Event } from '@eventfold/core'
import type { Address } from '../contracts/messages'

@Event('OrderPlaced')
export class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly sku: string,
    readonly quantity: number,
    /** Cents. */
    readonly amount: number,
    readonly card: string,
    readonly address: Address,
  ) {}
}

@Event('OrderStockReserved')
export class OrderStockReserved {
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly card: string,
    readonly amount: number,
  ) {}
}

@Event('OrderPaid')
export class OrderPaid {
  constructor(
    readonly orderId: string,
    readonly sku: string,
    readonly amount: number,
  ) {}
}

/** Stock is allocated and the order is paid: shipping may take it. */
@Event('OrderReadyToShip')
export class OrderReadyToShip {
  constructor(readonly orderId: string) {}
}

@Event('OrderShipped')
export class OrderShipped {
  constructor(
    readonly orderId: string,
    readonly sku: string,
    readonly trackingId: string,
  ) {}
}

/** Final: inventory releases what it holds, payment refunds what it captured. */
@Event('OrderCancelled')
export class OrderCancelled {
  constructor(
    readonly orderId: string,
    readonly sku: string,
    readonly reason: string,
  ) {}
}
