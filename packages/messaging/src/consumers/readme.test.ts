// The snippets of the README's "Consumers" section, run as a test.
import { describe, expect, it } from '@jest/globals'
import { defineAggregate } from '@eventfold/core'
import { encodeEnvelope } from '../envelope/codec'
import { inMemoryInbox } from '../testing/in-memory-inbox'
import { InMemoryTransport } from '../transport/in-memory-transport'
// #region imports
import { ConsumerWorker, defineConsumer, type IntegrationEnvelope } from '@eventfold/messaging'
// #endregion imports

interface OpenInvoice {
  readonly type: 'OpenInvoice'
  readonly orderId: string
  readonly amount: number
}
const Invoice = defineAggregate<{ open: boolean }, OpenInvoice, { type: string }>({
  category: 'Invoice',
  commands: { OpenInvoice: { aggregateId: (c) => c.orderId, creates: true } },
  initialState: () => ({ open: false }),
  decide: (c) => [{ type: 'InvoiceOpened', data: { amount: c.amount } }],
  evolve: () => ({ open: true }),
})

describe('the messaging README', () => {
  it('bills an order placed in another service once, however often it is delivered', async () => {
    const transport = new InMemoryTransport()
    await transport.declare({ name: 'orders', partitions: 4 })
    const placed: IntegrationEnvelope = {
      id: 'e-1', type: 'OrderPlaced.v1', source: 'orders', streamId: 'Order-7', revision: 0n, position: 1n,
      occurredAt: new Date().toISOString(), payload: 'reference', data: { orderId: '7' },
    }
    await transport.publish('orders', [encodeEnvelope(placed), encodeEnvelope(placed)])
    const inbox = inMemoryInbox()
    const ordersApi = { get: async (id: string) => ({ id, amount: 42 }) }

    // #region consumer
    const billing = defineConsumer('billing', {
      topics: ['orders'],
      handlers: {
        // Zero-payload: the event carries the order's id, fetch() reads the order as it is now.
        'OrderPlaced.v1': async (e: IntegrationEnvelope<{ orderId: string }>, { commands, documents, fetch }) => {
          const order = await fetch()
          await commands.execute({ type: 'OpenInvoice', orderId: e.data.orderId, amount: order.amount })
          documents.upsert(e.data.orderId, { $set: { amount: order.amount, status: 'invoiced' } })
        },
      },
    })
    const worker = new ConsumerWorker(billing, transport, inbox, {
      aggregates: [Invoice],
      fetchers: { 'OrderPlaced.v1': (e: IntegrationEnvelope<{ orderId: string }>) => ordersApi.get(e.data.orderId) },
      onProgress: (p) => p.eventsRead >= 2 && worker.stop(),
    })
    await worker.run()
    // #endregion consumer

    expect(worker.status).toMatchObject({ eventsRead: 2, eventsApplied: 1 })
    expect(await inbox.documents.get('billing', '7')).toEqual({ _id: '7', amount: 42, status: 'invoiced' })
    expect(await inbox.events!.streamRevision('Invoice-7')).toBe(0n)
  })
})
