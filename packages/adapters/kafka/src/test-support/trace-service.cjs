'use strict'
// One service of the cross-process trace test, on the built packages (dist),
// with the OpenTelemetry SDK registered as an application would and every
// finished span appended to a file as a JSON line:
//
//   node trace-service.cjs command  <spans file> <sqlite file> <order id>
//   node trace-service.cjs relay    <spans file> <sqlite file> <topic>
//   node trace-service.cjs consumer <spans file> <sqlite file> <topic> <group>
//
// `command` places an order in the orders service's log; `relay` publishes
// the log's OrderPlaced events to Kafka and stops at the head; `consumer`
// (the payments service) handles one OrderPlaced.v1 by charging the order in
// its own log, then stops. Each prints `ready` once it runs.
const { appendFileSync } = require('node:fs')
const { context, trace } = require('@opentelemetry/api')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const { SimpleSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace')
const { AggregateRepository, CommandBus, defineAggregate } = require('@eventfold/core')
const { ConsumerWorker, defineConsumer, definePublications, publish, Relay } = require('@eventfold/messaging')
const { openSqlite, SqliteDocumentStore, SqliteEventStore, sqliteInbox } = require('@eventfold/sqlite')
const { KafkaTransport } = require('@eventfold/kafka')

const [role, spansFile, dbFile, ...args] = process.argv.slice(2)

/** An exporter that appends each span to the file, with what the test checks. */
const fileExporter = {
  export(spans, done) {
    for (const s of spans) {
      const line = {
        service: role,
        name: s.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext ? s.parentSpanContext.spanId : null,
        links: s.links.map((l) => l.context.traceId),
      }
      appendFileSync(spansFile, `${JSON.stringify(line)}\n`)
    }
    done({ code: 0 })
  },
  shutdown: async () => {},
}

const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: fileExporter })] })
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(provider)

const Order = defineAggregate({
  category: 'Order',
  commands: { PlaceOrder: { aggregateId: (c) => c.orderId, creates: true } },
  initialState: () => ({}),
  decide: (c) => [{ type: 'OrderPlaced', data: { orderId: c.orderId, total: 42 } }],
  evolve: (s) => s,
})

const Payment = defineAggregate({
  category: 'Payment',
  commands: { ChargePayment: { aggregateId: (c) => c.orderId, creates: true } },
  initialState: () => ({}),
  decide: (c) => [{ type: 'PaymentCharged', data: { orderId: c.orderId, amount: c.amount } }],
  evolve: (s) => s,
})

const brokers = () => (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',')

const roles = {
  async command(sqlite, orderId) {
    const bus = new CommandBus({ repository: new AggregateRepository(new SqliteEventStore(sqlite)) }).register(Order)
    await bus.execute({ type: 'PlaceOrder', orderId })
  },

  async relay(sqlite, topic) {
    const transport = new KafkaTransport(brokers())
    const publications = definePublications({
      source: 'orders',
      publications: [publish('OrderPlaced', { type: 'OrderPlaced.v1', topic, map: (e) => e.data })],
      topics: [{ name: topic, partitions: 1 }],
    })
    const relay = new Relay({ eventStore: new SqliteEventStore(sqlite), documents: new SqliteDocumentStore(sqlite), transport, publications, name: 'orders', stopAtHead: true })
    await relay.run()
    await transport.close()
  },

  async consumer(sqlite, topic, group) {
    const transport = new KafkaTransport(brokers())
    const payments = defineConsumer(group, {
      topics: [topic],
      handlers: {
        'OrderPlaced.v1': async (e, { commands }) => {
          await commands.execute({ type: 'ChargePayment', orderId: e.data.orderId, amount: e.data.total })
        },
      },
    })
    const worker = new ConsumerWorker(payments, transport, sqliteInbox(sqlite), {
      aggregates: [Payment],
      from: 'earliest',
      onProgress: (p) => p.eventsApplied >= 1 && worker.stop(),
    })
    const running = worker.run()
    process.stdout.write('ready\n')
    await running
    await transport.close()
  },
}

const main = async () => {
  const sqlite = openSqlite(dbFile)
  try {
    await roles[role](sqlite, ...args)
  } finally {
    await provider.shutdown()
    await sqlite.close()
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`trace-service ${role}: ${(error && error.stack) || error}\n`)
    process.exit(1)
  },
)
