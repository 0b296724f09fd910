import { isAggregateNotFoundError, isStreamAlreadyExistsError, type CommandBus } from '@eventfold/core'
import { defineConsumer, type ConsumerDefinition, type IntegrationEnvelope } from '@eventfold/messaging'
import { MessageTypes as T, type OrderCancelledV1, type PaymentAttemptedV1, type PaymentRequestedV1 } from '../contracts/messages'
import type { ShopTopics } from '../contracts/topics'
import { CancelPayment, CapturePayment, HoldPayment, RequestPayment, VoidPaymentBeforeRequest } from './commands'
import { assessAttempt, type CardWindow, type CustomerHistory, type FraudRules } from './fraud'

const ignore =
  (guard: (e: unknown) => boolean) =>
  (error: unknown): void => {
    if (!guard(error)) throw error
  }

/**
 * Payment's side: take a payment the order asks for; void or refund it when
 * the order is cancelled (choreography) or when the order's saga sends
 * `CancelPayment` on payment's commands topic (saga).
 */
export const paymentConsumer = (topics: ShopTopics, namePrefix = '', flow: 'choreography' | 'saga' = 'choreography'): ConsumerDefinition => {
  const cancel = async (orderId: string, reason: string, commands: CommandBus): Promise<void> => {
    // An order cancelled before it asked for a payment has none to cancel.
    await commands.execute(new CancelPayment(orderId, reason)).catch(ignore(isAggregateNotFoundError))
  }
  // The saga's command and the order's request travel on different topics: a cancellation that comes first is recorded, so the request takes nothing.
  const cancelBeforeOrAfterRequest = async (orderId: string, reason: string, commands: CommandBus): Promise<void> => {
    const unknown = await commands.execute(new CancelPayment(orderId, reason)).then(
      () => false,
      (error: unknown) => (isAggregateNotFoundError(error) ? true : Promise.reject(error)),
    )
    if (!unknown) return
    await commands.execute(new VoidPaymentBeforeRequest(orderId, reason)).catch(async (error: unknown) => {
      if (!isStreamAlreadyExistsError(error)) throw error
      await commands.execute(new CancelPayment(orderId, reason)) // the request came in between: cancel what it started
    })
  }
  return defineConsumer(`${namePrefix}payment`, {
    topics: flow === 'saga' ? [topics.orders, topics.paymentCommands] : [topics.orders],
    collection: 'payment_inbox_effects',
    handlers: {
      [T.PaymentRequested]: async (e: IntegrationEnvelope<PaymentRequestedV1>, { commands }) => {
        const { orderId, customerId, card, amount } = e.data
        // The order asked at the event's time: that is the attempt's time in the fraud windows.
        await commands.execute(new RequestPayment(orderId, customerId, card, amount, e.occurredAt)).catch(ignore(isStreamAlreadyExistsError))
      },
      ...(flow === 'saga'
        ? { CancelPayment: (e: IntegrationEnvelope<{ orderId: string; reason: string }>, { commands }: { commands: CommandBus }) => cancelBeforeOrAfterRequest(e.data.orderId, e.data.reason, commands) }
        : { [T.OrderCancelled]: (e: IntegrationEnvelope<OrderCancelledV1>, { commands }: { commands: CommandBus }) => cancel(e.data.orderId, e.data.reason, commands) }),
    },
  })
}

/** The detector's state documents: one per card, one per customer. */
export const FRAUD_STATE = 'fraud_state'

/**
 * The fraud detector: a stream processor over the payment service's own
 * attempts (its topic has one partition, so it sees them in log order). Its
 * windows live in the payment database and commit with the hold or capture
 * it decides, once per attempt; everything it judges by is the attempts'
 * event time, so a replay from the start gives the same alerts.
 */
export const fraudDetector = (topics: ShopTopics, rules: FraudRules = {}, namePrefix = ''): ConsumerDefinition =>
  defineConsumer(`${namePrefix}fraud-detector`, {
    topics: [topics.payments],
    collection: FRAUD_STATE,
    handlers: {
      [T.PaymentAttempted]: async (e: IntegrationEnvelope<PaymentAttemptedV1>, { commands, documents }) => {
        const { orderId, customerId, card, amount, attemptedAt } = e.data
        const cardId = `card:${card}`
        const customerKey = `customer:${customerId}`
        const window = ((await documents.get(cardId)) as unknown as CardWindow | undefined) ?? { times: [] }
        const history = ((await documents.get(customerKey)) as unknown as CustomerHistory | undefined) ?? { count: 0, total: 0 }
        const verdict = assessAttempt({ orderId, customerId, card, amount, at: Date.parse(attemptedAt) }, window, history, rules)
        documents.replace(cardId, { times: [...verdict.card.times] })
        documents.replace(customerKey, { count: verdict.customer.count, total: verdict.customer.total })
        if (verdict.alert) await commands.execute(new HoldPayment(orderId, verdict.alert.rule, verdict.alert.detail))
        else await commands.execute(new CapturePayment(orderId))
      },
    },
  })
