import { Event } from '@eventfold/core'

@Event('StockSeeded')
export class StockSeeded {
  constructor(
    readonly sku: string,
    readonly quantity: number,
  ) {}
}

/** Held for an order until it is paid (allocated), released, or expires at `expiresAt`. */
@Event('StockReserved')
export class StockReserved {
  constructor(
    readonly sku: string,
    readonly orderId: string,
    readonly quantity: number,
    readonly expiresAt: string,
  ) {}
}

@Event('StockRejected')
export class StockRejected {
  constructor(
    readonly sku: string,
    readonly orderId: string,
    readonly quantity: number,
    readonly available: number,
  ) {}
}

@Event('ReservationExpired')
export class ReservationExpired {
  constructor(
    readonly sku: string,
    readonly orderId: string,
  ) {}
}

/** Kept for a paid order until it ships; `renewed` when the reservation had expired and stock was taken again. */
@Event('StockAllocated')
export class StockAllocated {
  constructor(
    readonly sku: string,
    readonly orderId: string,
    readonly quantity: number,
    readonly renewed: boolean,
  ) {}
}

@Event('ReservationReleased')
export class ReservationReleased {
  constructor(
    readonly sku: string,
    readonly orderId: string,
  ) {}
}

@Event('StockShipped')
export class StockShipped {
  constructor(
    readonly sku: string,
    readonly orderId: string,
  ) {}
}
