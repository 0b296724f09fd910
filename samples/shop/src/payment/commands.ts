import { AggregateId, Command } from '@eventfold/core'
import type { FraudRule } from './fraud'

@Command('RequestPayment')
export class RequestPayment {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly customerId: string,
    readonly card: string,
    readonly amount: number,
    readonly attemptedAt: string,
  ) {
    this.orderId = orderId
  }
}

@Command('CapturePayment')
export class CapturePayment {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}

@Command('HoldPayment')
export class HoldPayment {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly rule: FraudRule,
    readonly detail: string,
  ) {
    this.orderId = orderId
  }
}

/** The order was cancelled: void an open payment, refund a captured one. */
@Command('CancelPayment')
export class CancelPayment {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly reason: string,
  ) {
    this.orderId = orderId
  }
}

/**
 * The order's saga cancelled a payment this service has not been asked for
 * yet (its command overtook the request, which travels on another topic):
 * the payment is recorded voided, so a request that comes later takes nothing.
 */
@Command('VoidPaymentBeforeRequest')
export class VoidPaymentBeforeRequest {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly reason: string,
  ) {
    this.orderId = orderId
  }
}
