import { join } from 'node:path'
import { ConsumerWorker, InMemoryTransport, type InboxStore, type IntegrationEnvelope } from '@eventfold/messaging'
import { encodeEnvelope, type TransportMessage } from '@eventfold/messaging/spi'
import { billing, orderPlaced } from '../__fixtures__/billing-app'
import { CLI_ROOT } from './build'

/** The built billing fixture, as a config file requires it. */
export const BILLING_APP = join(CLI_ROOT, 'dist/__fixtures__/billing-app.js')

/** Config properties that register the billing consumer and its fixture transport (for `fixtureConfigJs`). */
export const billingConfig = {
  preamble: `const billingApp = require(${JSON.stringify(BILLING_APP)})`,
  properties: 'consumers: [billingApp.billing], transport: billingApp.fixtureTransport,',
}

/** Order `orderId` placed; `extra` goes into its data (e.g. a hostile note). */
export const order = (orderId: string, amount: number, extra: Record<string, unknown> = {}): IntegrationEnvelope => {
  const placed = orderPlaced(orderId, amount)
  return { ...placed, data: { ...(placed.data as object), ...extra } }
}

/**
 * Runs `billing` in this process over `inbox` until every order is handled,
 * on an in-memory transport; the order `poison` fails on every attempt, so
 * it is parked (after 2 attempts) while the others are billed, as is a
 * message given as sent (a `TransportMessage`) that is no integration event.
 */
export const consumeOrders = async (inbox: InboxStore, orders: readonly (IntegrationEnvelope | TransportMessage)[], poison: string): Promise<void> => {
  const transport = new InMemoryTransport()
  await transport.declare({ name: 'orders', partitions: 2 })
  await transport.publish('orders', orders.map((o) => ('headers' in o ? o : encodeEnvelope(o))))
  process.env.EVENTFOLD_FIXTURE_POISON_ORDER = poison
  try {
    const worker: ConsumerWorker = new ConsumerWorker(billing, transport, inbox, {
      maxAttempts: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      onProgress: (p) => {
        if (p.eventsApplied + p.parked >= orders.length) worker.stop()
      },
    })
    await worker.run()
  } finally {
    delete process.env.EVENTFOLD_FIXTURE_POISON_ORDER
    await transport.close()
  }
}
