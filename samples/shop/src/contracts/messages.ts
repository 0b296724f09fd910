// The published contracts between the shop's services: versioned types and
// their data. Domain events stay inside each service; only these travel.

/** Order service → inventory: reserve stock for this order. */
export interface OrderPlacedV1 {
  readonly orderId: string
  readonly customerId: string
  readonly sku: string
  readonly quantity: number
}
/** Order service → payment: take the payment of an order whose stock is reserved. */
export interface PaymentRequestedV1 {
  readonly orderId: string
  readonly customerId: string
  readonly card: string
  /** Cents. */
  readonly amount: number
}
/** Order service → inventory: the order is paid, keep its reservation until it ships. */
export interface OrderPaidV1 {
  readonly orderId: string
  readonly sku: string
}
/** Order service → shipping, zero-payload: the receiver fetches the address from the order service. */
export interface OrderReadyToShipV1 {
  readonly orderId: string
}
/** Order service → inventory (release the reservation) and payment (refund a capture). */
export interface OrderCancelledV1 {
  readonly orderId: string
  readonly sku: string
  readonly reason: string
}
/** Order service → inventory: the reserved stock left the warehouse. */
export interface OrderShippedV1 {
  readonly orderId: string
  readonly sku: string
}
/** Inventory → order. */
export interface StockReservedV1 {
  readonly orderId: string
  readonly sku: string
  readonly quantity: number
}
/** Inventory → order: not enough stock, nothing is held. */
export interface StockRejectedV1 {
  readonly orderId: string
  readonly sku: string
  readonly available: number
}
/** Inventory → order: a paid order's reservation is allocated until it ships. */
export interface StockAllocatedV1 {
  readonly orderId: string
}
/** Inventory → order: a reservation was not paid in time and went back on the shelf. */
export interface ReservationExpiredV1 {
  readonly orderId: string
}
/** Payment service → its own fraud detector (and anyone watching payments). */
export interface PaymentAttemptedV1 {
  readonly orderId: string
  readonly customerId: string
  readonly card: string
  readonly amount: number
  /** Event time of the attempt (ISO 8601), the fraud windows' clock. */
  readonly attemptedAt: string
}
/** Payment service → order. */
export interface PaymentCapturedV1 {
  readonly orderId: string
  readonly amount: number
}
/** Payment service → order: the payment is held (fraud suspected) or was voided. */
export interface PaymentDeclinedV1 {
  readonly orderId: string
  readonly reason: string
}
/** Shipping → order. */
export interface ParcelShippedV1 {
  readonly orderId: string
  readonly trackingId: string
}

/** The published type names, one place. */
export const MessageTypes = {
  OrderPlaced: 'OrderPlaced.v1',
  PaymentRequested: 'PaymentRequested.v1',
  OrderPaid: 'OrderPaid.v1',
  OrderReadyToShip: 'OrderReadyToShip.v1',
  OrderCancelled: 'OrderCancelled.v1',
  OrderShipped: 'OrderShipped.v1',
  StockReserved: 'StockReserved.v1',
  StockRejected: 'StockRejected.v1',
  StockAllocated: 'StockAllocated.v1',
  ReservationExpired: 'ReservationExpired.v1',
  PaymentAttempted: 'PaymentAttempted.v1',
  PaymentCaptured: 'PaymentCaptured.v1',
  PaymentDeclined: 'PaymentDeclined.v1',
  ParcelShipped: 'ParcelShipped.v1',
} as const

/** What the order service answers to shipping's fetch for a zero-payload `OrderReadyToShip.v1`. */
export interface ShippingDetails {
  readonly orderId: string
  readonly sku: string
  readonly quantity: number
  readonly address: Address
}

/** A delivery address. */
export interface Address {
  readonly name: string
  readonly street: string
  readonly city: string
  readonly postcode: string
  readonly country: string
}
