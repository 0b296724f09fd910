import { context, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api'

// version "-" trace-id "-" parent-id "-" flags, lower-case hex (W3C Trace Context, level 1).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/

/**
 * The span context a W3C `traceparent` names, or `undefined` when it is not
 * a valid one. Metadata is written by anyone who appends, so the value is
 * checked: version `ff`, all-zero ids and (for version `00`) trailing data
 * are refused.
 */
export const parseTraceparent = (value: unknown): SpanContext | undefined => {
  if (typeof value !== 'string' || value.length > 512) return undefined
  const m = TRACEPARENT.exec(value)
  if (!m) return undefined
  const [, version, traceId, spanId, flags, rest] = m
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined
  return { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED, isRemote: true }
}

/** The W3C `traceparent` of a span context. */
export const formatTraceparent = (span: SpanContext): string =>
  `00-${span.traceId}-${span.spanId}-${(span.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`

/**
 * The context a span started for `traceparent` continues: the active
 * context when it already holds a span (in-process callers win), else the
 * remote parent the value names, else the active context unchanged.
 */
export const parentContext = (traceparent: unknown): Context => {
  const active = context.active()
  if (trace.getSpan(active) !== undefined) return active
  const remote = parseTraceparent(traceparent)
  return remote ? trace.setSpanContext(active, remote) : active
}
