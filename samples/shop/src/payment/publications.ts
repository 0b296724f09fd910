import { definePublications, publish, type Publications } from '@eventfold/messaging'
import { MessageTypes as T, type PaymentAttemptedV1, type PaymentCapturedV1, type PaymentDeclinedV1 } from '../contracts/messages'
import { shopTopicSpecs, type ShopTopics } from '../contracts/topics'
import type { FraudSuspected, PaymentAttempted, PaymentCaptured } from './events'

/** What the payment service tells the others (and its own fraud detector). */
export const paymentPublications = (topics: ShopTopics): Publications =>
  definePublications({
    source: 'payment',
    publications: [
      publish<PaymentAttempted>('PaymentAttempted', {
        type: T.PaymentAttempted,
        topic: topics.payments,
        map: ({ data: d }): PaymentAttemptedV1 => ({ orderId: d.orderId, customerId: d.customerId, card: d.card, amount: d.amount, attemptedAt: d.attemptedAt }),
      }),
      publish<PaymentCaptured>('PaymentCaptured', {
        type: T.PaymentCaptured,
        topic: topics.payments,
        map: ({ data: d }): PaymentCapturedV1 => ({ orderId: d.orderId, amount: d.amount }),
      }),
      publish<FraudSuspected>('FraudSuspected', {
        type: T.PaymentDeclined,
        topic: topics.payments,
        map: ({ data: d }): PaymentDeclinedV1 => ({ orderId: d.orderId, reason: 'fraud-suspected' }),
      }),
    ],
    topics: shopTopicSpecs(topics).filter((t) => t.name === topics.payments),
  })
