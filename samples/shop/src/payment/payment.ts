import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@eventfold/core'
import { CancelPayment, CapturePayment, HoldPayment, RequestPayment, VoidPaymentBeforeRequest } from './commands'
import { FraudSuspected, PaymentAttempted, PaymentCaptured, PaymentRefunded, PaymentVoided } from './events'

/** `attempted` waits for the fraud check; the others are final. */
export type PaymentStatus = 'attempted' | 'captured' | 'held' | 'voided' | 'refunded'

/**
 * The payment of one order. Capture, hold and cancel are decided against the
 * status, so the card is charged at most once, and a cancellation that
 * overtakes the fraud check voids the payment instead.
 */
@Aggregate('Payment')
export class Payment extends AggregateRoot {
  status: PaymentStatus = 'attempted'
  customerId = ''
  card = ''
  amount = 0

  @CommandHandler(RequestPayment, { creates: true })
  request(c: RequestPayment): void {
    if (!Number.isSafeInteger(c.amount) || c.amount <= 0) throw new DomainError(`amount must be a positive whole number of cents, got ${c.amount}`, 'invalid-amount')
    this.apply(new PaymentAttempted(c.orderId, c.customerId, c.card, c.amount, c.attemptedAt))
  }

  @CommandHandler(CapturePayment)
  capture({ orderId }: CapturePayment): void {
    if (this.status === 'attempted') this.apply(new PaymentCaptured(orderId, this.card, this.amount))
  }

  @CommandHandler(HoldPayment)
  hold({ orderId, rule, detail }: HoldPayment): void {
    if (this.status === 'attempted') this.apply(new FraudSuspected(orderId, this.customerId, this.card, rule, detail))
  }

  @CommandHandler(CancelPayment)
  cancel({ orderId, reason }: CancelPayment): void {
    if (this.status === 'attempted') this.apply(new PaymentVoided(orderId, reason))
    else if (this.status === 'captured') this.apply(new PaymentRefunded(orderId, this.card, this.amount, reason))
  }

  @CommandHandler(VoidPaymentBeforeRequest, { creates: true })
  voidBeforeRequest({ orderId, reason }: VoidPaymentBeforeRequest): void {
    this.apply(new PaymentVoided(orderId, reason))
  }

  @EventSourcingHandler(PaymentAttempted)
  onAttempted(e: PaymentAttempted): void {
    Object.assign(this, { customerId: e.customerId, card: e.card, amount: e.amount })
  }
  @EventSourcingHandler(PaymentCaptured)
  onCaptured(): void {
    this.status = 'captured'
  }
  @EventSourcingHandler(FraudSuspected)
  onHeld(): void {
    this.status = 'held'
  }
  @EventSourcingHandler(PaymentVoided)
  onVoided(): void {
    this.status = 'voided'
  }
  @EventSourcingHandler(PaymentRefunded)
  onRefunded(): void {
    this.status = 'refunded'
  }
}
