import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MongoDocumentStore } from '@eventfold/mongodb'
import { writeTraceConfig } from '../demo/trace-config'
import { ShopCluster } from '../runtime/cluster'
import { configFromEnv } from '../runtime/config'
import { openShopLogs } from '../runtime/logs'
import { INITIAL_STOCK } from '../runtime/shop'
import type { SpanLine } from '../runtime/tracing'
import { gatewayClient } from './client'
import { dropMongoDatabase } from './drop-mongo'
import { orderOf } from './orders'
import { auditUntilClean, finalStatus } from './scenario-suite'

jest.setTimeout(120_000)

const CLI_BIN = resolve(__dirname, '../../../../packages/cli/bin/eventfold.js')
const ORDER_ID = 'traced-1'
const SERVICES_WITH_LOGS = ['order', 'inventory', 'payment', 'shipping']

/** A node of `eventfold trace --json`. */
interface TraceNode {
  readonly kind: 'event' | 'command'
  readonly id?: string
  readonly service?: string
  readonly type?: string
  readonly eventId?: string
  readonly causationId?: string
  readonly children: readonly TraceNode[]
}

/**
 * The order's path as spans: the command that appended an event, the topic the
 * relay published it to, the service and message type that consumed it, and
 * the command its handler ran (which appended the next event).
 */
const HOPS: readonly (readonly [string, string, string, string])[] = [
  ['order command PlaceOrder', 'shop.orders', 'inventory process OrderPlaced.v1', 'inventory command ReserveStock'],
  ['inventory command ReserveStock', 'shop.inventory', 'order process StockReserved.v1', 'order command RecordStockReserved'],
  ['order command RecordStockReserved', 'shop.orders', 'payment process PaymentRequested.v1', 'payment command RequestPayment'],
  ['payment command RequestPayment', 'shop.payments', 'payment process PaymentAttempted.v1', 'payment command CapturePayment'],
  ['payment command CapturePayment', 'shop.payments', 'order process PaymentCaptured.v1', 'order command RecordPaymentCaptured'],
  ['order command RecordPaymentCaptured', 'shop.orders', 'inventory process OrderPaid.v1', 'inventory command AllocateStock'],
  ['inventory command AllocateStock', 'shop.inventory', 'order process StockAllocated.v1', 'order command RecordStockAllocated'],
  ['order command RecordStockAllocated', 'shop.orders', 'shipping process OrderReadyToShip.v1', 'shipping command ShipParcel'],
  ['shipping command ShipParcel', 'shop.shipping', 'order process ParcelShipped.v1', 'order command RecordParcelShipped'],
  ['order command RecordParcelShipped', 'shop.orders', 'inventory process OrderShipped.v1', 'inventory command ShipStock'],
]

const nodesOf = (nodes: readonly TraceNode[]): TraceNode[] => nodes.flatMap((n) => [n, ...nodesOf(n.children)])

// One order through the five services as processes on Kafka, each with the OpenTelemetry SDK writing its spans to one file.
describe('one order of the shop, traced across its five processes', () => {
  const run = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const dir = mkdtempSync(join(tmpdir(), 'shop-trace-'))
  const spansFile = join(dir, 'spans.jsonl')
  const gatewayPort = 20_000 + Math.floor(Math.random() * 20_000)
  const env = {
    ...process.env,
    SHOP_TRANSPORT: 'kafka',
    EVENTFOLD_STORE: 'sqlite',
    SHOP_DATA_DIR: dir,
    SHOP_NAME_PREFIX: `${run}.`,
    SHOP_MONGO_DB: `shop_${run}`,
    SHOP_GATEWAY_PORT: String(gatewayPort),
    SHOP_ORDER_PORT: String(gatewayPort + 1),
    SHOP_TRACE_FILE: spansFile,
  }
  let spans: SpanLine[] = []
  let exitCodes: Record<string, number | null> = {}

  beforeAll(async () => {
    if (!process.env.KAFKA_BROKERS || !process.env.MONGODB_URL) throw new Error('KAFKA_BROKERS and MONGODB_URL must be set: eval "$(scripts/services env)"')
    const cluster = new ShopCluster(env, join(dir, 'logs'))
    const logs = openShopLogs(configFromEnv(env))
    const readModels = await MongoDocumentStore.connect(process.env.MONGODB_URL, { dbName: env.SHOP_MONGO_DB })
    try {
      await cluster.start()
      const client = gatewayClient(`http://127.0.0.1:${gatewayPort}`)
      expect((await client.place(orderOf(ORDER_ID, 1))).status).toBe(202)
      expect(await finalStatus(client, ORDER_ID)).toMatchObject({ status: 'shipped' })
      // Shipped is not the end of the flow: inventory still moves the units to shipped; wait for that in its log.
      await auditUntilClean({ client, logs: logs.logs, readModels, initialStock: INITIAL_STOCK, rateCapacity: 20, flow: 'choreography' })
    } finally {
      exitCodes = await cluster.stop()
      await logs.close()
      await readModels.close()
      await dropMongoDatabase(process.env.MONGODB_URL, env.SHOP_MONGO_DB)
    }
    spans = readFileSync(spansFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SpanLine)
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('stops every service cleanly', () => {
    expect(exitCodes).toEqual({ order: 0, inventory: 0, payment: 0, shipping: 0, gateway: 0 })
  })

  it('puts every span of the order’s flow in one trace, from the gateway’s request, each with its parent present, in all five services', () => {
    const roots = spans.filter((s) => s.service === 'gateway' && s.name === 'POST /orders')
    expect(roots).toHaveLength(1)
    const root = roots[0]!
    expect(root.parentSpanId).toBeNull()
    const flow = spans.filter((s) => s.traceId === root.traceId)
    const byId = new Map(flow.map((s) => [s.spanId, s]))
    const parentOf = (s: SpanLine): SpanLine | undefined => (s.parentSpanId === null ? undefined : byId.get(s.parentSpanId))
    for (const s of flow.filter((s) => s !== root)) expect({ span: `${s.service} ${s.name}`, parentPresent: parentOf(s) !== undefined }).toEqual({ span: `${s.service} ${s.name}`, parentPresent: true })
    expect(new Set(flow.map((s) => s.service))).toEqual(new Set(['gateway', 'order', 'inventory', 'payment', 'shipping']))

    // gateway request → the order's command (over HTTP, the `traceparent` header), then each hop between services.
    const childOf = (parent: SpanLine, service: string, name: string): SpanLine => {
      const found = flow.filter((s) => s.parentSpanId === parent.spanId && s.service === service && s.name === name)
      expect({ parent: `${parent.service} ${parent.name}`, child: `${service} ${name}`, found: found.length }).toEqual({ parent: `${parent.service} ${parent.name}`, child: `${service} ${name}`, found: 1 })
      return found[0]!
    }
    const span = (label: string): [string, string] => [label.slice(0, label.indexOf(' ')), label.slice(label.indexOf(' ') + 1)]
    let command = childOf(root, ...span(HOPS[0]![0]))
    for (const [from, topic, message, to] of HOPS) {
      expect(`${command.service} ${command.name}`).toBe(from)
      childOf(command, command.service, 'append')
      const create = childOf(command, command.service, `create ${run}.${topic}`)
      const processed = childOf(create, ...span(message))
      command = childOf(processed, ...span(to))
    }
    childOf(command, command.service, 'append')
  })

  it('keeps worker batches as traces of their own, linked to the order’s trace', () => {
    const root = spans.find((s) => s.service === 'gateway' && s.name === 'POST /orders')!
    const batches = spans.filter((s) => / batch /.test(s.name))
    for (const b of batches) expect(b.traceId).not.toBe(root.traceId)
    const linked = batches.filter((b) => b.links.includes(root.traceId))
    // The order's relay and every consumer that handled a message of the order.
    expect(new Set(linked.map((b) => `${b.service} ${b.name.split(' ')[0]}`))).toEqual(
      new Set(['order relay', 'order consumer', 'inventory relay', 'inventory consumer', 'payment relay', 'payment consumer', 'shipping relay', 'shipping consumer', 'order projection']),
    )
  })

  it('`eventfold trace <orderId>` prints the order as one tree spanning the four services’ logs', () => {
    // The config the demo writes beside the services' SQLite files, naming each service's log.
    const config = writeTraceConfig(dir)
    const out = JSON.parse(execFileSync(process.execPath, [CLI_BIN, 'trace', ORDER_ID, '--config', config, '--json'], { encoding: 'utf8' })) as {
      correlationId: string
      events: number
      services: { name: string; events: number }[]
      tree: TraceNode[]
    }
    expect(out.correlationId).toBe(ORDER_ID)
    expect(out.services.map((s) => s.name).sort()).toEqual([...SERVICES_WITH_LOGS].sort())
    for (const s of out.services) expect({ service: s.name, hasEvents: s.events > 0 }).toEqual({ service: s.name, hasEvents: true })
    // One tree: the gateway's PlaceOrder command at the root, every event of the order beneath it.
    expect(out.tree).toHaveLength(1)
    const [command] = out.tree
    expect(command).toMatchObject({ kind: 'command', children: [{ kind: 'event', service: 'order', type: 'OrderPlaced' }] })
    const events = nodesOf(command!.children)
    expect(events).toHaveLength(out.events)
    expect(new Set(events.map((e) => e.service))).toEqual(new Set(SERVICES_WITH_LOGS))
    // Each event hangs under the event that caused it, across services.
    const parents = new Map<TraceNode, TraceNode>()
    for (const n of nodesOf(out.tree)) for (const c of n.children) parents.set(c, n)
    for (const e of events.slice(1)) expect({ event: e.type, cause: e.causationId }).toEqual({ event: e.type, cause: parents.get(e)!.eventId })
    // The order's path through the services, each event the child of the one before.
    const chain: string[] = []
    for (let n = command!.children[0]; n; n = n.children[0]) {
      expect(n.children.length).toBeLessThanOrEqual(1)
      chain.push(`${n.service}:${n.type}`)
    }
    expect(chain).toEqual([
      'order:OrderPlaced',
      'inventory:StockReserved',
      'order:OrderStockReserved',
      'payment:PaymentAttempted',
      'payment:PaymentCaptured',
      'order:OrderPaid',
      'inventory:StockAllocated',
      'order:OrderReadyToShip',
      'shipping:ParcelShipped',
      'order:OrderShipped',
      'inventory:StockShipped',
    ])
  })
})
