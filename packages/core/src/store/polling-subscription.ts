import type { RecordedEvent } from '../events/event'
import type { EventFilter, Subscription } from './event-store'

/** What a store gives {@link pollingSubscription}. */
export interface PollingSource {
  /** Reads up to `limit` events strictly after `after` (undefined = from the start), matching `filter`. */
  readAfter(after: bigint | undefined, limit: number, filter: EventFilter | undefined): Promise<readonly RecordedEvent[]>
  /**
   * The head position now (undefined = empty log). It must not be beyond an
   * event that `readAfter` could still return later: a store whose positions
   * can have visible holes returns its safe head.
   */
  headPosition(): Promise<bigint | undefined>
  /**
   * Resolves when new events may be there: on an in-process append, or after
   * `timeoutMs` so that writers in other processes are seen too. It must
   * resolve at once when an append happened since the last `readAfter` (a
   * wake-up between the read and the wait would otherwise be lost).
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
  /**
   * Called once when the subscription is over: closed, left by its consumer
   * (`break`), or failed. Stores use it to forget the subscription.
   */
  readonly onEnd?: () => void
}

/**
 * A catch-up subscription built from a store's "read after" query: it reads
 * from the checkpoint in batches, then waits for a wake-up or a poll tick.
 * Stores whose positions can have visible holes must only hand out events
 * below their safe head from `readAfter`.
 */
export const pollingSubscription = (source: PollingSource, options: PollingSubscriptionOptions = {}): Subscription => {
  const { filter, onCaughtUp, onEnd, batchSize = 500, pollIntervalMs = 100 } = options
  const abort = new AbortController()
  let caughtUp = false
  let started = false
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    onEnd?.()
  }
  // 'end' means the head when subscribing, not when the consumer first pulls:
  // events appended in between belong to the subscriber.
  const start: Promise<bigint | undefined> =
    options.fromPosition === 'end'
      ? source.headPosition()
      : Promise.resolve(typeof options.fromPosition === 'bigint' ? options.fromPosition : undefined)
  // A subscription closed before it is iterated never awaits `start`.
  start.catch(() => undefined)

  async function* run(): AsyncGenerator<readonly RecordedEvent[]> {
    try {
      yield* follow()
    } finally {
      end()
    }
  }

  /** The log as the pages `readAfter` returns, then live. */
  async function* follow(): AsyncGenerator<readonly RecordedEvent[]> {
    let after = await start
    let reported: { position: bigint | undefined } | undefined
    while (!abort.signal.aborted) {
      // Read the head before the batch: a batch that is not full then holds
      // every matching event up to it, so a filtered subscriber can move past
      // the events it skipped. Read after the batch, a concurrent append could
      // be skipped unseen.
      const head = filter ? await source.headPosition() : undefined
      const batch = await source.readAfter(after, batchSize, filter)
      if (abort.signal.aborted) return
      if (batch.length > 0) {
        caughtUp = false
        yield batch
        after = batch[batch.length - 1]!.position
        if (abort.signal.aborted) return
        if (batch.length === batchSize) continue
      }
      if (head !== undefined && (after === undefined || head > after)) after = head
      caughtUp = true
      // Filtered subscribers still report progress so idle checkpoints can advance.
      if (!reported || reported.position !== after) {
        reported = { position: after }
        onCaughtUp?.(after)
      }
      await source.waitForAppend(pollIntervalMs, abort.signal)
    }
  }

  const pages = run()
  // The page being handed out, and how far.
  let page: readonly RecordedEvent[] = []
  let index = 0
  const nextBatch = async (maxCount: number): Promise<readonly RecordedEvent[]> => {
    if (index >= page.length) {
      const r = await pages.next()
      if (r.done) return []
      page = r.value
      index = 0
    }
    const out = index === 0 && maxCount >= page.length ? page : page.slice(index, index + maxCount)
    index += out.length
    return out
  }
  async function* events(): AsyncGenerator<RecordedEvent> {
    try {
      for (;;) {
        const batch = await nextBatch(Number.MAX_SAFE_INTEGER)
        if (batch.length === 0) return
        for (const event of batch) yield event
      }
    } finally {
      // The consumer left (`break`): the subscription is over.
      await pages.return(undefined)
    }
  }
  let iterator: AsyncGenerator<RecordedEvent> | undefined
  return {
    get isCaughtUp() {
      return caughtUp
    },
    [Symbol.asyncIterator]() {
      if (started) throw new Error('A subscription can be iterated only once')
      started = true
      return (iterator = events())
    },
    nextBatch,
    async close() {
      abort.abort()
      await iterator?.return(undefined)
      await pages.return(undefined)
      // A generator closed before it ever ran skips its finally.
      end()
    },
  }
}

/**
 * A tiny broadcast used by stores to wake their in-process subscribers on append.
 * Its `version` counts notifications, so that a waiter can tell whether an
 * append happened since it last looked.
 */
export class AppendSignal {
  private waiters = new Set<() => void>()
  private notified = 0

  /** Number of notifications so far. */
  get version(): number {
    return this.notified
  }

  notify(): void {
    this.notified++
    const waiters = this.waiters
    this.waiters = new Set()
    for (const w of waiters) w()
  }

  /**
   * Resolves on the next notification, after `timeoutMs`, or when `signal`
   * aborts; at once when `since` is given and a notification came after it.
   */
  wait(timeoutMs: number, signal: AbortSignal, since?: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || (since !== undefined && since !== this.notified)) return resolve()
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
