import { expect, it, jest } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeKafka, freshName } from '../testing/connect'
import { buildServices, runService, type FlowSpan } from '../test-support/trace-flow'

jest.setTimeout(120_000)

describeKafka('a trace across services', () => {
  it('follows an order from the command through the relay and Kafka to the consumer’s command, in one trace', async () => {
    buildServices()
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    try {
      const spansFile = join(dir, 'spans.jsonl')
      const topic = freshName('orders')
      await runService('command', [spansFile, join(dir, 'orders.db'), 'o-1'])
      await runService('relay', [spansFile, join(dir, 'orders.db'), topic])
      const group = freshName('payments')
      await runService('consumer', [spansFile, join(dir, 'payments.db'), topic, group])

      const spans: FlowSpan[] = readFileSync(spansFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as FlowSpan)
      const one = (service: FlowSpan['service'], name: string): FlowSpan => {
        const found = spans.filter((s) => s.service === service && s.name === name)
        expect(found).toHaveLength(1)
        return found[0]!
      }
      const placeOrder = one('command', 'command PlaceOrder')
      const ordersAppend = one('command', 'append')
      const create = one('relay', `create ${topic}`)
      const process = one('consumer', 'process OrderPlaced.v1')
      const charge = one('consumer', 'command ChargePayment')
      const paymentsAppend = one('consumer', 'append')

      // Parent links, across the three processes.
      expect(placeOrder.parentSpanId).toBeNull()
      expect(ordersAppend.parentSpanId).toBe(placeOrder.spanId)
      expect(create.parentSpanId).toBe(placeOrder.spanId)
      expect(process.parentSpanId).toBe(create.spanId)
      expect(charge.parentSpanId).toBe(process.spanId)
      expect(paymentsAppend.parentSpanId).toBe(charge.spanId)

      // Every span of the flow is in the order's trace; a worker's batch span serves many flows, so it links to them.
      const { traceId } = placeOrder
      const batches = spans.filter((s) => / batch /.test(s.name))
      expect(batches.map((s) => s.name).sort()).toEqual([`consumer batch ${group}`, 'relay batch orders'])
      for (const b of batches) expect(b.links).toContain(traceId)
      for (const s of spans.filter((s) => !batches.includes(s))) expect(s.traceId).toBe(traceId)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
