import { describe, expect, it } from '@jest/globals'
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { AggregateRepository, CommandBus, defineAggregate, InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { defineConsumer } from './consumers/consumer-definition'
import { ConsumerWorker } from './consumers/consumer-worker'
import { publish } from './publishing/publication'
import { definePublications } from './publishing/publications'
import { Relay } from './relay/relay'
import { inMemoryInbox } from './testing/in-memory-inbox'
import { InMemoryTransport } from './transport/in-memory-transport'

const Order = defineAggregate<object, { type: 'PlaceOrder'; orderId: string }, { type: string; data: { orderId: string } }>({
  category: 'Order',
  commands: { PlaceOrder: { aggregateId: (c) => c.orderId, creates: true } },
  initialState: () => ({}),
  decide: (c) => [{ type: 'OrderPlaced', data: { orderId: c.orderId } }],
  evolve: (s) => s,
})

const Payment = defineAggregate<object, { type: 'ChargePayment'; orderId: string }, { type: string; data: { orderId: string } }>({
  category: 'Payment',
  commands: { ChargePayment: { aggregateId: (c) => c.orderId, creates: true } },
  initialState: () => ({}),
  decide: (c) => [{ type: 'PaymentCharged', data: { orderId: c.orderId } }],
  evolve: (s) => s,
})

const publications = definePublications({
  source: 'orders',
  publications: [publish<{ orderId: string }>('OrderPlaced', { type: 'OrderPlaced.v1', topic: 'orders', map: (e) => ({ orderId: e.data.orderId }) })],
})

/** An order placed in one service, relayed, and charged by a consumer in another; `during` runs inside the consumer's handler. */
const flow = async (orderId: string, { metadata = {}, during = async () => {} }: { metadata?: Record<string, unknown>; during?: () => Promise<void> } = {}) => {
  const orders = new InMemoryEventStore()
  const transport = new InMemoryTransport()
  const placed = await new CommandBus({ repository: new AggregateRepository(orders) }).register(Order).execute({ type: 'PlaceOrder', orderId }, { metadata })
  await new Relay({ eventStore: orders, documents: new InMemoryDocumentStore(), transport, publications, name: 'orders', stopAtHead: true }).run()
  const payments = new InMemoryEventStore()
  const consumer = defineConsumer('payments', {
    topics: ['orders'],
    handlers: {
      'OrderPlaced.v1': async (e, { commands }) => {
        await during()
        await commands.execute({ type: 'ChargePayment', orderId: (e.data as { orderId: string }).orderId })
      },
    },
  })
  const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inMemoryInbox({ events: payments }), {
    aggregates: [Payment],
    onProgress: (p) => p.eventsApplied >= 1 && worker.stop(),
  })
  await worker.run()
  const charged: RecordedEvent[] = []
  for await (const e of payments.readStream(`Payment-${orderId}`)) charged.push(e)
  return { placed: placed.events[0]!, charged: charged[0]! }
}

describe('telemetry across a relay and a consumer', () => {
  describe('without an SDK', () => {
    it('carries the traceparent of the producer’s event to the events the consumer’s commands append', async () => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const { placed, charged } = await flow('n1', { metadata: { traceparent } })
      expect(placed.metadata.traceparent).toBe(traceparent)
      expect(charged.metadata.traceparent).toBe(traceparent)
    })
  })

  describe('with an SDK', () => {
    const spans = new InMemorySpanExporter()
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
      trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
    })
    afterAll(() => {
      trace.disable()
      metrics.disable()
      context.disable()
    })

    it('makes one trace of the command, the message and the consumer’s command, with parent links', async () => {
      const { charged } = await flow('s1')
      const finished = spans.getFinishedSpans()
      const named = (name: string) => finished.find((s) => s.name === name)!
      const [place, create, process, charge] = ['command PlaceOrder', 'create orders', 'process OrderPlaced.v1', 'command ChargePayment'].map(named)
      expect(create!.parentSpanContext?.spanId).toBe(place!.spanContext().spanId)
      expect(process!.parentSpanContext?.spanId).toBe(create!.spanContext().spanId)
      expect(charge!.parentSpanContext?.spanId).toBe(process!.spanContext().spanId)
      for (const s of [create, process, charge]) expect(s!.spanContext().traceId).toBe(place!.spanContext().traceId)
      expect(charged.metadata.traceparent).toBe(`00-${charge!.spanContext().traceId}-${charge!.spanContext().spanId}-01`)
      expect(process!.attributes).toMatchObject({ 'messaging.consumer.group.name': 'payments', 'messaging.destination.name': 'orders' })
    })

    it('reports the consumer group’s lag while it runs', async () => {
      let lag: unknown
      await flow('s2', {
        during: async () => {
          metricExporter.reset()
          await reader.forceFlush()
          const metric = metricExporter
            .getMetrics()
            .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
            .find((m) => m.descriptor.name === 'eventfold.consumer.lag.messages')
          lag = metric?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }))
        },
      })
      // The message being handled is not acknowledged yet.
      expect(lag).toEqual([
        { attributes: { 'messaging.consumer.group.name': 'payments', 'messaging.destination.name': 'orders', 'messaging.destination.partition.id': '0' }, value: 1 },
      ])
    })
  })
})
