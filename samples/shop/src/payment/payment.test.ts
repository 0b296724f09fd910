import { AggregateSpec } from '@eventfold/core/testing'
import { CancelPayment, CapturePayment, HoldPayment, VoidPaymentBeforeRequest } from './commands'
import { FraudSuspected, PaymentAttempted, PaymentCaptured, PaymentRefunded, PaymentVoided } from './events'
import { Payment } from './payment'

describe('Payment', () => {
  const payment = AggregateSpec.for<Payment>(Payment)
  const attempted = new PaymentAttempted('o1', 'c1', '4000000000000001', 69_900, '2026-12-03T10:00:00.000Z')
  const captured = new PaymentCaptured('o1', '4000000000000001', 69_900)

  it('charges the card at most once', async () => {
    await payment.given([attempted]).when(new CapturePayment('o1')).then([captured])
    await payment.given([attempted, captured]).when(new CapturePayment('o1')).then([])
  })
  it('holds a suspicious payment, which is then never captured', async () => {
    const held = new FraudSuspected('o1', 'c1', '4000000000000001', 'card-velocity', '3 attempts')
    await payment.given([attempted]).when(new HoldPayment('o1', 'card-velocity', '3 attempts')).then([held])
    await payment.given([attempted, held]).when(new CapturePayment('o1')).then([])
  })
  it('voids an open payment and refunds a captured one when the order is cancelled', async () => {
    await payment.given([attempted]).when(new CancelPayment('o1', 'payment-timeout')).then([new PaymentVoided('o1', 'payment-timeout')])
    await payment.given([attempted, captured]).when(new CancelPayment('o1', 'payment-timeout')).then([new PaymentRefunded('o1', '4000000000000001', 69_900, 'payment-timeout')])
  })
  it('records a payment cancelled before it was requested as voided', async () => {
    await payment.given([]).when(new VoidPaymentBeforeRequest('o1', 'order-cancelled')).then([new PaymentVoided('o1', 'order-cancelled')])
  })
})
