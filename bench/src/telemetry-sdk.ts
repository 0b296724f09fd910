import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace'

/** Takes every span and drops it: the SDK does all its work, nothing leaves the process. */
const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
}

/** Takes every metric export and drops it. */
const dropMetrics: PushMetricExporter = {
  export: (_metrics, done) => done({ code: 0 }),
  forceFlush: async () => {},
  shutdown: async () => {},
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
}

/**
 * Registers the OpenTelemetry SDK as an application would (async context,
 * batched spans, metrics exported every second) with exporters that drop
 * everything: what tracing and metrics cost eventfold, without the network.
 * @returns what unregisters it.
 */
export const startTelemetry = (): (() => Promise<void>) => {
  const contextManager = new AsyncLocalStorageContextManager().enable()
  const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: dropSpans })] })
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 1000 })] })
  context.setGlobalContextManager(contextManager)
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  return async () => {
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
    trace.disable()
    metrics.disable()
    context.disable()
  }
}
