import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { TestClock } from './testing'
import { Deadlines } from './deadlines/deadlines'
import { DeadlineWorker } from './deadlines/deadline-worker'
import { InMemoryDeadlineStore } from './deadlines/in-memory-deadline-store'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { EndSaga, Saga, SagaEventHandler, StartSaga } from './sagas/decorators'
import { Sagas } from './sagas/sagas'
import { observeActiveSagas, traceSagaStep } from './telemetry'

@Saga('telemetry-visit')
class VisitSaga {
  @StartSaga('VisitStarted', { associate: 'visitId' })
  started(): void {}
  @EndSaga
  @SagaEventHandler('VisitEnded', { associate: 'visitId' })
  ended(): void {}
}

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
beforeEach(() => spans.reset())

const points = async (name: string) => {
  metricExporter.reset()
  await reader.forceFlush()
  return metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .find((m) => m.descriptor.name === name)?.dataPoints
}
const duePoints = async () => (await points('eventfold.deadlines.due'))?.map((p) => p.value)

describe('sagas telemetry', () => {
  it('fires each deadline in a span of its own, and reports the due deadlines while a worker runs', async () => {
    const T0 = Date.parse('2026-01-01T00:00:00Z')
    const clock = new TestClock(T0)
    const store = new InMemoryDeadlineStore()
    const deadlines = new Deadlines(store, { clock })
    await deadlines.scope('Order-1').schedule('reminder', { after: 1_000 })
    await deadlines.scope('Order-2').schedule('reminder', { after: 1_000 })
    await deadlines.scope('Order-3').schedule('reminder', { after: 60_000 })
    clock.advance(1_000)
    const fired: { scope: string; activeSpan: string | undefined; due: unknown }[] = []
    let worker!: DeadlineWorker
    worker = new DeadlineWorker(store, {
      clock,
      batchSize: 1,
      handlers: {
        reminder: async (d) => {
          const active = trace.getActiveSpan() as unknown as { name?: string } | undefined
          fired.push({ scope: d.scope, activeSpan: active?.name, due: await duePoints() })
          if (fired.length === 2) void worker.stop()
        },
      },
    })
    await worker.start()
    // Each handler ran inside its deadline's span; the first saw both due deadlines pending, the second the one left.
    expect(fired).toEqual([
      { scope: 'Order-1', activeSpan: 'deadline reminder', due: [2] },
      { scope: 'Order-2', activeSpan: 'deadline reminder', due: [1] },
    ])
    const finished = spans.getFinishedSpans().filter((s) => s.name === 'deadline reminder')
    expect(finished.map((s) => s.attributes['eventfold.deadline.scope'])).toEqual(['Order-1', 'Order-2'])
  })

  it('runs a saga step as a child of the trace its triggering event carries', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const inside = await traceSagaStep('checkout', 'PaymentFailed', traceparent, async () => trace.getActiveSpan()?.spanContext().traceId)
    expect(inside).toBe('0af7651916cd43dd8448eb211c80319c')
    const [step] = spans.getFinishedSpans()
    expect(step).toMatchObject({ name: 'saga checkout PaymentFailed', parentSpanContext: expect.objectContaining({ spanId: 'b7ad6b7169203331' }) })
    expect(step!.attributes).toEqual({ 'eventfold.saga.name': 'checkout', 'eventfold.saga.step': 'PaymentFailed' })
  })

  it('reports the active instances per saga name, 0 for a saga with none', async () => {
    const sagas = new Sagas({ documents: new InMemoryDocumentStore(), sagas: [VisitSaga] })
    const active = async () => (await points('eventfold.sagas.active'))?.map((p) => [p.attributes.saga, p.value])
    const stop = observeActiveSagas(sagas)
    expect(await active()).toEqual([['telemetry-visit', 0]])
    for (const v of ['v1', 'v2', 'v3']) await sagas.handle({ id: `start-${v}`, type: 'VisitStarted', data: { visitId: v }, metadata: {} })
    await sagas.handle({ id: 'end-v2', type: 'VisitEnded', data: { visitId: 'v2' }, metadata: {} })
    expect(await active()).toEqual([['telemetry-visit', 2]])
    stop()
  })
})
