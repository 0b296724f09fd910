import { AggregateId, Command } from '@eventfold/core'
import type { Address } from '../contracts/messages'

@Command('PlaceOrder')
export class PlaceOrder {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly customerId: string,
    readonly sku: string,
    readonly quantity: number,
    readonly amount: number,
    readonly card: string,
    readonly address: Address,
  ) {
    this.orderId = orderId
  }
}

/** Commands that record what another service reported; each is decided against the order's state, so a late or repeated report changes nothing. */
abstract class OrderReport {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}

@Command('RecordStockReserved')
export class RecordStockReserved extends OrderReport {}

@Command('RecordStockRejected')
export class RecordStockRejected extends OrderReport {}

@Command('RecordReservationExpired')
export class RecordReservationExpired extends OrderReport {}

@Command('RecordStockAllocated')
export class RecordStockAllocated extends OrderReport {}

@Command('RecordPaymentCaptured')
export class RecordPaymentCaptured extends OrderReport {}

@Command('RecordPaymentDeclined')
export class RecordPaymentDeclined extends OrderReport {
  constructor(
    orderId: string,
    readonly reason: string,
  ) {
    super(orderId)
  }
}

@Command('RecordParcelShipped')
export class RecordParcelShipped extends OrderReport {
  constructor(
    orderId: string,
    readonly trackingId: string,
  ) {
    super(orderId)
  }
}

/** What the payment-timeout deadline sends. */
@Command('CancelUnpaidOrder')
export class CancelUnpaidOrder extends OrderReport {}
