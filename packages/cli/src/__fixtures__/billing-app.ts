// A consumer of integration events for the CLI's integration tests
// (`eventfold consumers`, `eventfold parked`), compiled with the package so
// that the built CLI can load it from a config file.
import { defineConsumer, InMemoryTransport, type IntegrationEnvelope } from '@eventfold/messaging'
import { encodeEnvelope } from '@eventfold/messaging/spi'

/** Bills orders: one document per order. Fails for the order named by EVENTFOLD_FIXTURE_POISON_ORDER, read at each call. */
export const billing = defineConsumer('billing', {
  topics: ['orders'],
  collection: 'bills',
  handlers: {
    'OrderPlaced.v1': (e: IntegrationEnvelope<{ orderId: string; amount: number }>, { documents }) => {
      if (process.env.EVENTFOLD_FIXTURE_POISON_ORDER === e.data.orderId) throw new Error(`cannot bill order ${e.data.orderId}`)
      documents.upsert(e.data.orderId, { $inc: { billed: e.data.amount } })
    },
  },
})

/** An order placed, as the orders service publishes it. */
export const orderPlaced = (orderId: string, amount: number): IntegrationEnvelope => ({
  id: `order-placed-${orderId}`,
  type: 'OrderPlaced.v1',
  source: 'orders',
  streamId: `Order-${orderId}`,
  revision: 0n,
  position: 1n,
  occurredAt: '2026-01-01T00:00:00.000Z',
  payload: 'full',
  data: { orderId, amount },
})

/**
 * The transport the config opens for `consumers status`: in memory, so each
 * CLI process builds the same state: three orders published on two
 * partitions, and `billing` past the first one of partition 0.
 */
export const fixtureTransport = async (): Promise<InMemoryTransport> => {
  const transport = new InMemoryTransport()
  await transport.declare({ name: 'orders', partitions: 2 })
  await transport.publish('orders', ['o-1', 'o-2', 'o-3', 'o-4'].map((id, i) => encodeEnvelope(orderPlaced(id, i + 1))))
  const member = await transport.subscribe({ group: 'billing', topics: ['orders'] })
  const [first] = await member.read(1, 0, new Promise(() => {}))
  await member.acknowledge([first!])
  await member.close()
  return transport
}
