import { context, INVALID_SPAN_CONTEXT, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api'

const VERSION: string = (require('../../package.json') as { version: string }).version

/**
 * The tracer of an eventfold package, taken again from the provider
 * registered when it changes: a tracer kept from before `trace.disable()`
 * and a new registration would stay a no-op.
 * @example
 * ```ts
 * const tracer = tracerOf('@eventfold/messaging')
 * const span = tracer().startSpan('create orders')
 * ```
 */
export const tracerOf = (packageName: string): (() => Tracer) => {
  let provider: TracerProvider | undefined
  let tracer: Tracer | undefined
  return () => {
    const current = trace.getTracerProvider()
    if (current !== provider || tracer === undefined) {
      provider = current
      tracer = current.getTracer(packageName, VERSION)
    }
    return tracer
  }
}

/**
 * True when the span belongs to a trace (recorded, sampled out, or a remote
 * parent's without an SDK); false for the no-op span of no SDK and no parent,
 * which is told apart by identity before any check of its ids.
 */
export const hasTrace = (span: Span): boolean => {
  const c = span.spanContext()
  return c !== INVALID_SPAN_CONTEXT && isSpanContextValid(c)
}

/** Options of {@link inSpan}. */
export interface InSpanOptions {
  readonly kind?: SpanKind
  /** The parent; see `parentContext`. @default the active context */
  readonly parent?: Context
  readonly attributes?: Attributes
}

/**
 * Runs `fn` in a new span, made the active one, and ends the span when `fn`
 * settles: an error is recorded on it and rethrown. Without an SDK (and no
 * parent) the span has no trace and `fn` runs as it would without it; a span
 * the SDK sampled out is still made active, so its children inherit the
 * decision instead of starting traces of their own.
 */
export const inSpan = <R>(tracer: Tracer, name: string, fn: (span: Span) => Promise<R>, { kind = SpanKind.INTERNAL, parent, attributes }: InSpanOptions = {}): Promise<R> => {
  const parentCtx = parent ?? context.active()
  const span = tracer.startSpan(name, { kind, attributes }, parentCtx)
  // No SDK: spare the context switch and the promise callbacks.
  if (!hasTrace(span)) return fn(span)
  return context.with(trace.setSpan(parentCtx, span), () => fn(span)).then(
    (result) => {
      span.end()
      return result
    },
    (error: unknown) => {
      failSpan(span, error)
      span.end()
      throw error
    },
  )
}

/** Marks a span as failed by `error`: its exception event, status and `error.type`. */
export const failSpan = (span: Span, error: unknown): void => {
  if (!span.isRecording()) return
  const e = error instanceof Error ? error : new Error(String(error))
  span.recordException(e)
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message })
  span.setAttribute('error.type', errorType(error))
}

/** The `type` of an eventfold error, else the error's class name: a bounded value for an attribute. */
export const errorType = (error: unknown): string => {
  const type = (error as { type?: unknown } | null)?.type
  if (typeof type === 'string') return type
  return (error as Error)?.constructor?.name ?? 'unknown'
}

export { SpanKind }
