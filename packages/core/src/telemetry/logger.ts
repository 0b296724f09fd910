import { context, trace } from '@opentelemetry/api'

/**
 * Where the framework logs: the shape of a `pino` logger (fields first, then
 * the message), so a pino instance is passed as it is.
 * @example
 * ```ts
 * import pino from 'pino'
 * setLogger(pino({ mixin: traceLogFields }, pino.destination(2)))
 * ```
 */
export interface Logger {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
  error(fields: object, message?: string): void
}

/**
 * Until one is set, warnings and errors become process warnings (on stderr,
 * as Node prints them) and the rest is dropped: the framework writes nothing
 * to stdout on its own.
 */
const processWarnings: Logger = {
  debug: () => {},
  info: () => {},
  warn: (fields, message) => process.emitWarning(`eventfold: ${message ?? ''}${describe(fields)}`),
  error: (fields, message) => process.emitWarning(`eventfold: ${message ?? ''}${describe(fields)}`),
}

const describe = (fields: object): string => {
  const err = (fields as { err?: unknown }).err
  return err === undefined ? '' : `: ${(err as Error)?.message ?? String(err)}`
}

let current: Logger = processWarnings

/**
 * Sets the logger every eventfold package writes to; `undefined` restores
 * the default (process warnings for warnings and errors, nothing else).
 */
export const setLogger = (logger: Logger | undefined): void => {
  current = logger ?? processWarnings
}

/** The logger set with {@link setLogger}. */
export const logger = (): Logger => current

/**
 * The active span's `trace_id` and `span_id` (none outside a span): pass it
 * as pino's `mixin` so that every line names the trace it belongs to.
 */
export const traceLogFields = (): Record<string, string> => {
  const span = trace.getSpan(context.active())
  if (!span) return {}
  const { traceId, spanId } = span.spanContext()
  return { trace_id: traceId, span_id: spanId }
}
