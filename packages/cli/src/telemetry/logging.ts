import pino from 'pino'
import { setLogger, traceLogFields } from '@eventfold/core'

/** Levels `--log-level` takes. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

/**
 * Sends the framework's logs to stderr as JSON lines (pino) at `level`, each
 * with the trace and span ids of the span it was written in. Standard output
 * stays the command's own.
 */
export const logToStderr = (level: (typeof LOG_LEVELS)[number]): void => {
  setLogger(pino({ level, base: { pid: process.pid }, mixin: traceLogFields }, pino.destination({ fd: 2, sync: true })))
}
