import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { InMemoryEventStore, setLogger } from '@eventfold/core'
import { InMemoryDocumentStore } from '../../documents/in-memory-document-store'
import { defineProjection } from '../../projection/projection-definition'
import { ProjectionWorker } from '../projection-worker'

const spans = new InMemorySpanExporter()
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
const logged: { level: string; fields: Record<string, unknown>; message: string | undefined }[] = []

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
  const log = (level: string) => (fields: object, message?: string) => void logged.push({ level, fields: fields as Record<string, unknown>, message })
  setLogger({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') })
})
afterAll(() => {
  setLogger(undefined)
  trace.disable()
  metrics.disable()
  context.disable()
})

const TRACES = ['0af7651916cd43dd8448eb211c80319c', '1bf7651916cd43dd8448eb211c80319d']

const counts = defineProjection({
  name: 'counts',
  collections: ['counts'],
  handlers: {
    Counted: (e, view) => {
      if ((e.data as { poison?: boolean }).poison) throw new Error(`poison at ${e.position}`)
      view.upsert('all', { $inc: { n: 1 } })
    },
  },
})

const metricPoints = async (name: string) => {
  metricExporter.reset()
  await reader.forceFlush()
  return metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .find((m) => m.descriptor.name === name)?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }))
}

describe('worker telemetry', () => {
  it('spans each batch with links to its events’ traces, counts what it applied and parked, and logs the parked event with its correlation id', async () => {
    const eventStore = new InMemoryEventStore()
    for (const [i, traceId] of TRACES.entries()) {
      await eventStore.appendToStream(`Count-${i}`, [{ type: 'Counted', data: {}, metadata: { traceparent: `00-${traceId}-b7ad6b716920333${i}-01` } }])
    }
    await eventStore.appendToStream('Count-p', [
      { type: 'Counted', data: { poison: true }, metadata: { correlationId: 'order-9', traceparent: '00-2cf7651916cd43dd8448eb211c80319e-b7ad6b7169203339-01' } },
    ])
    const worker = new ProjectionWorker({ eventStore, documents: new InMemoryDocumentStore(), projection: counts, stopAtHead: true, retry: { initialDelayMs: 1, maxDelayMs: 1 } })
    await worker.run()

    const [batch, ...more] = spans.getFinishedSpans().filter((s) => s.name === 'projection batch counts')
    expect(more).toEqual([])
    expect(batch!.links.map((l) => l.context.traceId)).toEqual([...TRACES, '2cf7651916cd43dd8448eb211c80319e'])
    expect(batch!.attributes).toMatchObject({ 'eventfold.worker.kind': 'projection', 'eventfold.worker.name': 'counts', 'eventfold.worker.partition': '0/1', 'eventfold.events.applied': 2 })

    const worker_ = { 'eventfold.worker.kind': 'projection', 'eventfold.worker.name': 'counts', 'eventfold.worker.partition': '0/1' }
    expect(await metricPoints('eventfold.worker.events')).toEqual([{ attributes: worker_, value: 2 }])
    expect(await metricPoints('eventfold.worker.parked')).toEqual([{ attributes: worker_, value: 1 }])
    expect(await metricPoints('eventfold.worker.retries')).toEqual([{ attributes: worker_, value: 2 }])

    expect(logged).toContainEqual({
      level: 'warn',
      fields: expect.objectContaining({
        worker: 'projection',
        name: 'counts',
        partition: '0/1',
        key: '3',
        attempts: 3,
        correlationId: 'order-9',
        trace_id: '2cf7651916cd43dd8448eb211c80319e',
      }),
      message: 'projection counts: parking 3 after 3 attempts',
    })
  })

  it('reports a running worker’s lag in seconds', async () => {
    const eventStore = new InMemoryEventStore()
    await eventStore.appendToStream('Count-1', [{ type: 'Counted', data: {}, metadata: { occurredAt: new Date(Date.now() - 60_000).toISOString() } }])
    let during: unknown
    const worker: ProjectionWorker = new ProjectionWorker({
      eventStore,
      documents: new InMemoryDocumentStore(),
      projection: counts,
      onProgress: () => {
        void metricPoints('eventfold.worker.lag.seconds').then((points) => {
          during = points
          void worker.stop()
        })
      },
    })
    await worker.run()
    expect(during).toEqual([{ attributes: expect.objectContaining({ 'eventfold.worker.name': 'counts' }), value: expect.any(Number) }])
    expect((during as { value: number }[])[0]!.value).toBeGreaterThanOrEqual(60)
  })
})
