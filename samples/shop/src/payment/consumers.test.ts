import { createEventfold, InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import type { ConsumerContext, IntegrationEnvelope } from '@eventfold/messaging'
import { MessageTypes as T, type PaymentRequestedV1 } from '../contracts/messages'
import { shopTopics } from '../contracts/topics'
import { paymentConsumer } from './consumers'
import { Payment } from './payment'

const envelope = <D>(type: string, data: D): IntegrationEnvelope<D> =>
  ({ id: `${type}-o1`, type, source: 'order', streamId: 'o1', revision: 0n, position: 0n, occurredAt: '2026-12-03T10:00:00.000Z', payload: 'full', data }) as IntegrationEnvelope<D>

describe('payment in the saga flow', () => {
  // The saga's CancelPayment travels on payment's commands topic, the order's PaymentRequested.v1 on the orders topic: either may come first.
  it('never takes a payment the saga cancelled before payment heard of it', async () => {
    const eventStore = new InMemoryEventStore()
    const app = createEventfold({ eventStore, aggregates: [Payment] })
    const context = { commands: app.commandBus, documents: undefined, fetch: () => Promise.reject(new Error('no fetch')) } as unknown as ConsumerContext
    const consumer = paymentConsumer(shopTopics('t.'), '', 'saga')
    await consumer.handlers.get('CancelPayment')!(envelope('CancelPayment', { orderId: 'o1', reason: 'order-cancelled' }), context)
    const requested: PaymentRequestedV1 = { orderId: 'o1', customerId: 'c1', card: '4000000000000001', amount: 69_900 }
    await consumer.handlers.get(T.PaymentRequested)!(envelope(T.PaymentRequested, requested), context)
    const events: RecordedEvent[] = []
    for await (const e of eventStore.readAll()) events.push(e)
    expect(events.map((e) => e.type)).toEqual(['PaymentVoided'])
  })
})
