import { SpanKind, type Span } from '@opentelemetry/api'
import { isConcurrencyError } from '../errors/errors'
import { lazyInstruments } from './instruments'
import { errorType, failSpan, hasTrace, inSpan, tracerOf } from './spans'
import { formatTraceparent, parentContext } from './trace-context'

// The spans and metrics of @eventfold/core, in one place so that hot paths call one function each.

const tracer = tracerOf('@eventfold/core')

const instruments = lazyInstruments('@eventfold/core', (meter) => ({
  handled: meter.createCounter('eventfold.commands.handled', { description: 'Commands executed successfully' }),
  failed: meter.createCounter('eventfold.commands.failed', { description: 'Commands that failed, by error type' }),
  retries: meter.createCounter('eventfold.commands.retries', { description: 'Commands decided again after a concurrency conflict' }),
  appendDuration: meter.createHistogram('eventfold.append.duration', { description: 'Time to append a command’s events', unit: 's' }),
  conflicts: meter.createCounter('eventfold.append.conflicts', { description: 'Appends refused because the stream was not at the expected revision' }),
}))

/** What spans and metrics call a command whose type no aggregate handles. */
export const UNKNOWN_COMMAND_TYPE = '(unknown)'

/**
 * Runs a command in a span `command <type>`, child of the active span or of
 * the `traceparent` in its metadata; the metadata's `traceparent` becomes the
 * span's (sampled or not, so later services keep the sampling decision), and
 * the events the command appends carry the trace on. With no SDK and no
 * parent there is no trace, and the metadata is left as it is. Counts the
 * command as handled or failed.
 */
export const traceCommand = <R>(commandType: string, metadata: Record<string, unknown>, run: () => Promise<R>): Promise<R> =>
  inSpan(
    tracer(),
    `command ${commandType}`,
    async (span: Span) => {
      if (hasTrace(span)) metadata.traceparent = formatTraceparent(span.spanContext())
      if (span.isRecording()) span.setAttribute('eventfold.command.type', commandType)
      try {
        const result = await run()
        instruments().handled.add(1, { 'eventfold.command.type': commandType })
        return result
      } catch (error) {
        instruments().failed.add(1, { 'eventfold.command.type': commandType, 'error.type': errorType(error) })
        throw error
      }
    },
    { parent: parentContext(metadata.traceparent) },
  )

/** Records a retry of a command after a concurrency conflict. */
export const commandRetried = (commandType: string): void => {
  instruments().retries.add(1, { 'eventfold.command.type': commandType })
}

/** Runs an append in a span `append`, timing it and counting a concurrency conflict. */
export const traceAppend = async <R>(streamId: string, count: number, append: () => Promise<R>): Promise<R> => {
  const started = performance.now()
  try {
    return await inSpan(tracer(), 'append', () => append(), {
      kind: SpanKind.CLIENT,
      attributes: { 'eventfold.stream.id': streamId, 'eventfold.events.count': count },
    })
  } catch (error) {
    if (isConcurrencyError(error)) instruments().conflicts.add(1)
    throw error
  } finally {
    instruments().appendDuration.record((performance.now() - started) / 1000)
  }
}

export { failSpan }
