import { appendFileSync } from 'node:fs'
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'

/** A finished span as the file exporter writes it, one JSON line each. */
export interface SpanLine {
  readonly service: string
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | null
  /** Trace ids of the span's links (a worker's batch links to the traces of its events). */
  readonly links: readonly string[]
  readonly attributes: Readonly<Record<string, unknown>>
}

/** Appends each finished span to `file`; every service of a run may share the file, as each line is one append. */
const fileExporter = (service: string, file: string): SpanExporter => ({
  export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
    const lines = spans.map((s): SpanLine => {
      const { traceId, spanId } = s.spanContext()
      return { service, name: s.name, traceId, spanId, parentSpanId: s.parentSpanContext?.spanId ?? null, links: s.links.map((l) => l.context.traceId), attributes: s.attributes }
    })
    for (const line of lines) appendFileSync(file, `${JSON.stringify(line)}\n`)
    done({ code: ExportResultCode.SUCCESS })
  },
  shutdown: async () => {},
})

/**
 * Registers an OpenTelemetry SDK in this service's process that writes every
 * span to `file` (the shop's choice; the framework only calls the API).
 * Returns the shutdown that flushes it.
 */
export const registerFileTracing = (service: string, file: string): (() => Promise<void>) => {
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: fileExporter(service, file) })] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  return () => provider.shutdown()
}

/** The active trace as HTTP headers (`traceparent`), for a call to another service; empty without an SDK. */
export const traceHeaders = (): Record<string, string> => {
  const headers: Record<string, string> = {}
  propagation.inject(context.active(), headers)
  return headers
}

/** The context an incoming HTTP request's trace headers name, to run its work in. */
export const requestContext = (headers: Readonly<Record<string, string | string[] | undefined>>): Context => propagation.extract(context.active(), headers)

/**
 * Runs `fn` in a server span named for the request, the root of the flow
 * the request starts; an error is recorded on the span and rethrown.
 */
export const inRequestSpan = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
  trace.getTracer('@eventfold/sample-shop').startActiveSpan(name, { kind: SpanKind.SERVER }, async (span) => {
    try {
      return await fn()
    } catch (error) {
      span.recordException(error as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message })
      throw error
    } finally {
      span.end()
    }
  })
