import type { RecordedEvent } from '../events/event'
import type { EventFilter, Subscription } from './event-store'

/** What a store gives {@link pollingSubscription}. */
export interface PollingSource {
  /** Reads up to `limit` events strictly after `after` (undefined = from the start), matching `filter`. */
  readAfter(after: bigint | undefined, limit: number, filter: EventFilter | undefined): Promise<readonly RecordedEvent[]>
  /** The head position now (undefined = empty log). */
  headPosition(): Promise<bigint | undefined>
  /**
   * Resolves when new events may be there: on an in-process append, or after
   * `timeoutMs` so that writers in other processes are seen too.
   */
  waitForAppend(timeoutMs: number, signal: AbortSignal): Promise<void>
}

/** Options of {@link pollingSubscription}. */
export interface PollingSubscriptionOptions {
  readonly fromPosition?: bigint | 'start' | 'end'
  readonly filter?: EventFilter
  readonly onCaughtUp?: (position: bigint | undefined) => void
  /** Events read per round trip. @default 500 */
  readonly batchSize?: number
  /** How long to wait for an in-process wake-up before polling again. @default 100 */
  readonly pollIntervalMs?: number
}

/**
 * A catch-up subscription built from a store's "read after" query: it reads
 * from the checkpoint in batches, then waits for a wake-up or a poll tick.
 * Stores whose positions can have visible holes must only hand out events
 * below their safe head from `readAfter`.
 */
export const pollingSubscription = (source: PollingSource, options: PollingSubscriptionOptions = {}): Subscription => {
  const { filter, onCaughtUp, batchSize = 500, pollIntervalMs = 100 } = options
  const abort = new AbortController()
  let caughtUp = false
  let started = false

  async function* run(): AsyncGenerator<RecordedEvent> {
    let after: bigint | undefined
    if (options.fromPosition === 'end') after = (await source.headPosition()) ?? undefined
    else if (typeof options.fromPosition === 'bigint') after = options.fromPosition
    while (!abort.signal.aborted) {
      const batch = await source.readAfter(after, batchSize, filter)
      if (abort.signal.aborted) return
      if (batch.length > 0) {
        caughtUp = false
        for (const event of batch) {
          yield event
          after = event.position
          if (abort.signal.aborted) return
        }
        if (batch.length === batchSize) continue
      }
      if (!caughtUp) {
        caughtUp = true
        // Filtered subscribers still report progress so idle checkpoints can advance.
        onCaughtUp?.(filter ? ((await source.headPosition()) ?? after) : after)
      }
      await source.waitForAppend(pollIntervalMs, abort.signal)
    }
  }

  const iterator = run()
  return {
    get isCaughtUp() {
      return caughtUp
    },
    [Symbol.asyncIterator]() {
      if (started) throw new Error('A subscription can be iterated only once')
      started = true
      return iterator
    },
    async close() {
      abort.abort()
      await iterator.return(undefined)
    },
  }
}

/** A tiny broadcast used by stores to wake their in-process subscribers on append. */
export class AppendSignal {
  private waiters = new Set<() => void>()

  notify(): void {
    const waiters = this.waiters
    this.waiters = new Set()
    for (const w of waiters) w()
  }

  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      signal.addEventListener('abort', done, { once: true })
      this.waiters.add(done)
    })
  }
}
