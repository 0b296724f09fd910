import { Event } from '@eventfold/core'
import type { FraudRule } from './fraud'

@Event('PaymentAttempted')
export class PaymentAttempted {
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly card: string,
    /** Cents. */
    readonly amount: number,
    /** Event time (ISO 8601): when the order asked for the payment, not when this service got to it. */
    readonly attemptedAt: string,
  ) {}
}

/** The card is charged. At most once per order. */
@Event('PaymentCaptured')
export class PaymentCaptured {
  constructor(
    readonly orderId: string,
    readonly card: string,
    readonly amount: number,
  ) {}
}

/** The fraud detector holds the payment: nothing is charged, the order is cancelled. */
@Event('FraudSuspected')
export class FraudSuspected {
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly card: string,
    readonly rule: FraudRule,
    readonly detail: string,
  ) {}
}

/** The order was cancelled before the payment was captured: nothing is charged. */
@Event('PaymentVoided')
export class PaymentVoided {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

/** The order was cancelled after the capture: the charge is given back. */
@Event('PaymentRefunded')
export class PaymentRefunded {
  constructor(
    readonly orderId: string,
    readonly card: string,
    readonly amount: number,
    readonly reason: string,
  ) {}
}
