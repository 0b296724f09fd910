import type { EventFilter, RecordedEvent } from '@eventfold/core'
import type { AppendSignal, PollingSource } from '@eventfold/core/spi'

/** One page read for a subscription. */
export interface SubscriptionPage {
  readonly events: readonly RecordedEvent[]
  /** Committed events wait above the safe bound, held back by an older transaction still running. */
  readonly held: boolean
}

/** What {@link postgresPollingSource} needs from the event store. */
export interface PostgresPollingDeps {
  /** Notified by this store's appends and by its listening connection. */
  readonly signal: AppendSignal
  readonly readPage: (after: bigint | undefined, limit: number, filter: EventFilter | undefined) => Promise<SubscriptionPage>
  /** The safe head: the last event below the safe bound. */
  readonly safeHead: () => Promise<bigint | undefined>
  /** The head as of the call, once the transactions in flight then have ended (for `fromPosition: 'end'`). */
  readonly settledHead: () => Promise<bigint | undefined>
  /** The subscription starts at `'end'`: its first head is the settled one. */
  readonly startsAtEnd: boolean
  /** First delay of the quick re-polls while events are held back; doubles up to the poll interval. @default 5 */
  readonly heldPollMs?: number
}

/**
 * The {@link PollingSource} of one PostgreSQL subscription. Every read is
 * bounded by the safe bound (see `position.ts`), so it never hands out an
 * event above one that a still-open transaction can commit later.
 *
 * It wakes on this store's appends and on notifications (LISTEN/NOTIFY);
 * otherwise it polls. When committed events are held back by an older open
 * transaction, the commit that releases them may send no notification (a
 * rollback, or a transaction that did not append), so it re-polls quickly,
 * backing off, until they are through.
 */
export const postgresPollingSource = (deps: PostgresPollingDeps): PollingSource => {
  const { signal, readPage, safeHead, settledHead, heldPollMs = 5 } = deps
  let startPending = deps.startsAtEnd
  let seen = signal.version
  let held = false
  let heldDelay = heldPollMs
  return {
    readAfter: async (after, limit, filter) => {
      // Taken before the read: a notification after it makes the next wait return at once.
      seen = signal.version
      const page = await readPage(after, limit, filter)
      if (!page.held) heldDelay = heldPollMs
      held = page.held
      return page.events
    },
    headPosition: () => {
      if (startPending) {
        startPending = false
        return settledHead()
      }
      return safeHead()
    },
    waitForAppend: async (timeoutMs, abort) => {
      if (!held) return signal.wait(timeoutMs, abort, seen)
      const delay = Math.min(heldDelay, timeoutMs)
      heldDelay = Math.min(heldDelay * 2, timeoutMs)
      return signal.wait(delay, abort, seen)
    },
  }
}
