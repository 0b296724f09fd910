import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { CommandBus } from '../commands/command-bus'
import { retryOnConcurrency } from '../commands/middleware'
import { AggregateRepository } from '../aggregates/repository'
import { InMemoryEventStore } from '../store/in-memory-event-store'
import { toAggregateDefinition } from '../aggregates/aggregate-definition'
import { Account, Deposit, OpenAccount } from '../__fixtures__/account'
import type { EventStore } from '../store/event-store'
import { formatTraceparent, parseTraceparent } from './trace-context'

const spans = new InMemorySpanExporter()
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
const contextManager = new AsyncLocalStorageContextManager().enable()

beforeAll(() => {
  context.setGlobalContextManager(contextManager)
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
})
afterAll(() => {
  trace.disable()
  metrics.disable()
  context.disable()
})
beforeEach(() => spans.reset())

const busOn = (store: EventStore = new InMemoryEventStore()) =>
  new CommandBus({ repository: new AggregateRepository(store), middleware: [retryOnConcurrency({ initialDelayMs: 1, maxDelayMs: 1 })] }).register(
    toAggregateDefinition(Account),
  )

const metric = async (name: string): Promise<MetricData | undefined> => {
  metricExporter.reset()
  await reader.forceFlush()
  return metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .find((m) => m.descriptor.name === name)
}

const sumOf = (m: MetricData | undefined, attributes: Record<string, string> = {}): number =>
  (m?.dataPoints ?? [])
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0)

describe('core telemetry', () => {
  it('traces a command with its append as a child, and its events carry the command span as traceparent', async () => {
    const store = new InMemoryEventStore()
    const result = await busOn(store).execute(new OpenAccount('t1', 'Ann'))
    const finished = spans.getFinishedSpans()
    const command = finished.find((s) => s.name === 'command TestOpenAccount')!
    const append = finished.find((s) => s.name === 'append')!
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId)
    expect(append.spanContext().traceId).toBe(command.spanContext().traceId)
    expect(append.attributes['eventfold.stream.id']).toBe('TestAccount-t1')
    expect(result.events[0]!.metadata.traceparent).toBe(formatTraceparent(command.spanContext()))
  })

  it('continues the trace named by a traceparent in the metadata when no span is active', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    await busOn().execute(new OpenAccount('t2', 'Ann'), { metadata: { traceparent: parent } })
    const command = spans.getFinishedSpans().find((s) => s.name === 'command TestOpenAccount')!
    expect(command.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(command.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
  })

  it('starts a new trace for a traceparent that is not valid', async () => {
    const { events } = await busOn().execute(new OpenAccount('t3', 'Ann'), { metadata: { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' } })
    expect(parseTraceparent(events[0]!.metadata.traceparent)?.traceId).not.toBe('00000000000000000000000000000000')
  })

  it('counts commands handled and failed, with the error type, and marks the span failed', async () => {
    const bus = busOn()
    const handledBefore = sumOf(await metric('eventfold.commands.handled'), { 'eventfold.command.type': 'TestDeposit' })
    await bus.execute(new OpenAccount('t4', 'Ann'))
    await bus.execute(new Deposit('t4', 5))
    await expect(bus.execute(new Deposit('t4', -1))).rejects.toMatchObject({ type: 'domain' })
    expect(sumOf(await metric('eventfold.commands.handled'), { 'eventfold.command.type': 'TestDeposit' })).toBe(handledBefore + 1)
    expect(sumOf(await metric('eventfold.commands.failed'), { 'eventfold.command.type': 'TestDeposit', 'error.type': 'domain' })).toBe(1)
    const failed = spans.getFinishedSpans().filter((s) => s.name === 'command TestDeposit').find((s) => s.status.code === 2)!
    expect(failed.attributes['error.type']).toBe('domain')
    expect(sumOf(await metric('eventfold.append.duration'))).toBeGreaterThanOrEqual(2)
  })

  it('names a command of an unknown type (unknown) in its span and metrics, not by the type it was sent with', async () => {
    await expect(busOn().execute({ type: 'NoSuchCommand-8f2c' })).rejects.toMatchObject({ type: 'unknown-command' })
    expect(sumOf(await metric('eventfold.commands.failed'), { 'eventfold.command.type': '(unknown)', 'error.type': 'unknown-command' })).toBe(1)
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['command (unknown)'])
    expect(JSON.stringify((await metric('eventfold.commands.failed'))?.dataPoints)).not.toContain('NoSuchCommand')
  })

  it('counts a concurrency conflict and the retry of the command', async () => {
    const store = new InMemoryEventStore()
    const bus = busOn(store)
    await bus.execute(new OpenAccount('t5', 'Ann'))
    let raced = false
    // Another writer appends between this command's load and its append, once.
    const racing: EventStore = Object.create(store, {
      appendToStream: {
        value: async (...args: Parameters<EventStore['appendToStream']>) => {
          if (!raced) {
            raced = true
            await store.appendToStream('TestAccount-t5', [{ type: 'TestDeposited', data: { accountId: 't5', amount: 1 } }])
          }
          return store.appendToStream(...args)
        },
      },
    })
    const conflictsBefore = sumOf(await metric('eventfold.append.conflicts'))
    await busOn(racing).execute(new Deposit('t5', 2))
    expect(sumOf(await metric('eventfold.append.conflicts'))).toBe(conflictsBefore + 1)
    expect(sumOf(await metric('eventfold.commands.retries'), { 'eventfold.command.type': 'TestDeposit' })).toBe(1)
  })
})
