import type { ResolvedEvent } from '@eventstore/db-client'

/**
 * A stand-in for the client's streaming read (`readStream`, `readAll`): it
 * yields `events`, then fails with `error` when one is given, as the client's
 * read fails when the server answers "not found" or "deleted".
 */
export const clientRead = <E = ResolvedEvent>(events: readonly E[], error?: unknown) => ({
  cancelled: false,
  async *[Symbol.asyncIterator](): AsyncGenerator<E> {
    yield* events
    if (error !== undefined) throw error
  },
  async cancel(): Promise<void> {
    this.cancelled = true
  },
})
