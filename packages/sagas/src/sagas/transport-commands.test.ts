import { describe, expect, it } from '@jest/globals'
import { defineAggregate } from '@eventfold/core'
import { ConsumerWorker, defineConsumer, InMemoryTransport, type IntegrationEnvelope } from '@eventfold/messaging'
import { inMemoryInbox } from '@eventfold/messaging/testing'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { Saga, SagaEventHandler, sagaConsumerHandlers, Sagas, StartSaga, transportCommands, type CommandSender, type SagaContext } from '@eventfold/sagas'

// The billing service: charging an order appends one event per command it executes.
interface ChargeOrder {
  readonly type: 'ChargeOrder'
  readonly orderId: string
}
const Charges = defineAggregate<{ count: number }, ChargeOrder, { type: string }>({
  category: 'Charges',
  commands: { ChargeOrder: { aggregateId: (c) => c.orderId } },
  initialState: () => ({ count: 0 }),
  decide: () => [{ type: 'OrderCharged', data: {} }],
  evolve: (s) => ({ count: s.count + 1 }),
})

@Saga('transport-order')
class OrderSaga {
  @StartSaga('OrderAccepted.v1', { associate: 'orderId' })
  accepted(e: { orderId: string }, ctx: SagaContext): void {
    ctx.send({ type: 'ChargeOrder', orderId: e.orderId }, { to: 'billing' })
  }
  @SagaEventHandler('OrderCharged.v1', { associate: 'orderId' })
  charged(_e: unknown, ctx: SagaContext): void {
    ctx.end()
  }
}

describe('integration commands and events', () => {
  it('sends a command to another service as a message with the command id, which its consumer executes once however often it is sent', async () => {
    const transport = new InMemoryTransport()
    await transport.declare({ name: 'billing.commands', partitions: 2 })
    await transport.declare({ name: 'orders', partitions: 2 })
    const send = transportCommands(transport, { source: 'orders' })
    // The process dies after publishing and before taking the command off the outbox.
    let crash = true
    const crashing: CommandSender = async (command, record) => {
      await send(command, record)
      if (crash) {
        crash = false
        throw new Error('process killed')
      }
    }
    const documents = new InMemoryDocumentStore()
    const sagas = new Sagas({ documents, sagas: [OrderSaga], integration: crashing })

    // Integration events reach the saga through a consumer of the orders topic.
    const accepted: IntegrationEnvelope = {
      id: 'evt-1', type: 'OrderAccepted.v1', source: 'shop', streamId: 'Order-7', revision: 0n, position: 1n,
      occurredAt: new Date().toISOString(), correlationId: 'flow-7', payload: 'full', data: { orderId: '7' },
    }
    const { encodeEnvelope } = await import('@eventfold/messaging/spi')
    await transport.publish('orders', [encodeEnvelope(accepted)])
    const ordersConsumer = defineConsumer('orders-sagas', { topics: ['orders'], handlers: sagaConsumerHandlers(sagas) })
    const ordersWorker = new ConsumerWorker(ordersConsumer, transport, inMemoryInbox(), {
      maxAttempts: 3,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      onProgress: (p) => p.eventsApplied >= 1 && ordersWorker.stop(),
    })
    await ordersWorker.run()

    const billingInbox = inMemoryInbox()
    await billingInbox.events!.appendToStream('Charges-7', [{ type: 'ChargesOpened', data: {} }])
    const billing = defineConsumer('billing', {
      topics: ['billing.commands'],
      handlers: {
        ChargeOrder: async (e: IntegrationEnvelope<{ orderId: string }>, { commands }) => {
          await commands.execute({ type: 'ChargeOrder', orderId: e.data.orderId })
        },
      },
    })
    const billingWorker = new ConsumerWorker(billing, transport, billingInbox, {
      aggregates: [Charges],
      onProgress: (p) => p.eventsRead >= 2 && billingWorker.stop(),
    })
    await billingWorker.run()

    expect(billingWorker.status).toMatchObject({ eventsRead: 2, eventsApplied: 1 })
    const charged = []
    for await (const e of billingInbox.events!.readStream('Charges-7')) if (e.type === 'OrderCharged') charged.push(e)
    expect(charged).toHaveLength(1)
    const [instance] = await sagas.list()
    expect(instance).toMatchObject({ status: 'active', history: [{ messageId: 'evt-1', sent: [`${instance!._id}:1:0`] }] })
    // The charge is caused by the command, in the flow of the event that started the saga.
    expect(charged[0]!.metadata).toMatchObject({ correlationId: 'flow-7', causationId: `${instance!._id}:1:0` })
  })
})
