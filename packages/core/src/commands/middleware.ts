import { randomUUID } from 'node:crypto'
import { isConcurrencyError, ValidationError, type ConcurrencyError, type ValidationIssue } from '../errors/errors'
import { backoffDelay, sleep, type BackoffPolicy } from '../utils/backoff'
import type { CommandResult } from './command-bus'
import { commandRetried } from '../telemetry/core-telemetry'

/** What middleware sees of one command execution. */
export interface CommandContext {
  readonly command: object
  readonly commandType: string
  /** Unique id of this execution; the causation id of the events it produces. */
  readonly commandId: string
  /** Metadata copied onto every event the command causes (correlationId, causationId, user fields). */
  metadata: Record<string, unknown>
  /** 1 on the first attempt; retries increase it. */
  attempt: number
}

/** A step around command execution. Call `next()` to continue; return or throw to stop. */
export type CommandMiddleware = (context: CommandContext, next: () => Promise<CommandResult>) => Promise<CommandResult>

/**
 * Propagates correlation: every event a command causes carries the command's
 * correlation id (or starts a new one from the command id) and the command id
 * as causation id. Installed first by the command bus.
 */
export const correlation = (): CommandMiddleware => (ctx, next) => {
  ctx.metadata = {
    ...ctx.metadata,
    correlationId: ctx.metadata.correlationId ?? ctx.commandId,
    causationId: ctx.metadata.causationId ?? ctx.commandId,
  }
  return next()
}

/**
 * Rejects commands that `validate` finds issues with, before any I/O.
 * Return issues (or throw a `ValidationError`) to reject.
 */
export const validation =
  (validate: (command: object, commandType: string) => readonly ValidationIssue[] | void | Promise<readonly ValidationIssue[] | void>): CommandMiddleware =>
  async (ctx, next) => {
    const issues = await validate(ctx.command, ctx.commandType)
    if (issues && issues.length > 0) throw new ValidationError(`Command '${ctx.commandType}' is invalid`, issues, ctx.commandType)
    return next()
  }

/** Options of {@link retryOnConcurrency}. */
export interface RetryOptions extends BackoffPolicy {
  /** Called before each retry, e.g. to log or count conflicts. */
  readonly onRetry?: (error: ConcurrencyError, context: CommandContext) => void
}

/**
 * Retries a command that lost an optimistic-concurrency race: the aggregate
 * is reloaded and the command decided again, with bounded backoff.
 * The last `ConcurrencyError` is rethrown when attempts run out.
 */
export const retryOnConcurrency =
  (policy: RetryOptions = {}): CommandMiddleware =>
  async (ctx, next) => {
    const maxAttempts = policy.maxAttempts ?? 5
    for (;;) {
      try {
        return await next()
      } catch (error) {
        if (!isConcurrencyError(error) || ctx.attempt >= maxAttempts) throw error
        policy.onRetry?.(error, ctx)
        commandRetried(ctx.commandType)
        ctx.attempt++
        await sleep(backoffDelay(ctx.attempt, policy))
      }
    }
  }

/** Metadata that makes new commands part of the conversation an event belongs to (for sagas and reactors). */
export const causedBy = (event: { metadata: { eventId: string; correlationId?: string } }): Record<string, unknown> => ({
  correlationId: event.metadata.correlationId ?? event.metadata.eventId,
  causationId: event.metadata.eventId,
})

export const newCommandId = (): string => randomUUID()
