import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { context, propagation, trace } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { httpOrderApi, orderHttpServer, type OrderApi } from '../order/api'
import { addressOf } from '../scenario/orders'
import { inRequestSpan, registerFileTracing, traceHeaders, type SpanLine } from './tracing'

const input = { orderId: 'o1', customerId: 'c1', sku: 'ipad-air-11', quantity: 1, card: '4000000000000001', address: addressOf(1) }

describe('tracing in the shop’s processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shop-tracing-'))
  let server: FastifyInstance | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
    trace.disable()
    context.disable()
    propagation.disable()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('sends no trace headers when no SDK is registered', async () => {
    await inRequestSpan('POST /orders', async () => expect(traceHeaders()).toEqual({}))
  })

  it('continues the gateway’s request span in the order service, over HTTP, and writes the span to the file', async () => {
    const file = join(dir, 'spans.jsonl')
    const shutdown = registerFileTracing('gateway', file)
    let seen: { traceId: string; spanId: string } | undefined
    const orders: OrderApi = {
      place: async () => {
        seen = trace.getActiveSpan()?.spanContext()
      },
      shippingDetails: async () => {
        throw new Error('not called')
      },
    }
    server = orderHttpServer(orders)
    const url = await server.listen({ host: '127.0.0.1', port: 0 })
    await inRequestSpan('POST /orders', () => httpOrderApi(url).place(input))
    await shutdown()

    const spans = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SpanLine)
    expect(spans).toEqual([expect.objectContaining({ service: 'gateway', name: 'POST /orders', parentSpanId: null })])
    expect(seen).toEqual({ traceId: spans[0]!.traceId, spanId: spans[0]!.spanId, traceFlags: 1, isRemote: true })
  })
})
