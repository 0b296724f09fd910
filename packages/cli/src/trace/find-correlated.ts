import type { EventStore, RecordedEvent } from '@eventfold/core'
import { hasCorrelationLookup } from '@eventfold/core/spi'
import type { TracedEvent } from './causal-tree'

/** Where a scan of one service's log is. */
export interface ScanProgress {
  readonly service: string
  readonly position: bigint
  /** The log's last position when the scan started. */
  readonly head: bigint
}

/** How far a scan is, in tenths of a percent of the log as it was when the scan started. */
export const scanPercent = (p: ScanProgress): number => (p.head > 0n ? Number((p.position * 1000n) / p.head) / 10 : 100)

/** What was found in one service's log. */
export interface CorrelatedEvents {
  readonly events: TracedEvent[]
  /** True when the store had no index for the lookup and its whole log was read. */
  readonly scanned: boolean
  /** Events whose metadata could not be read (not JSON), left out of the trace. */
  readonly unreadable: number
}

const traced = (service: string, e: RecordedEvent): TracedEvent => ({
  service,
  streamId: e.streamId,
  revision: e.revision,
  position: e.position,
  type: e.type,
  eventId: e.metadata.eventId,
  causationId: typeof e.metadata.causationId === 'string' ? e.metadata.causationId : undefined,
  occurredAt: typeof e.metadata.occurredAt === 'string' ? e.metadata.occurredAt : undefined,
})

/**
 * The events of one service's log whose `metadata.correlationId` is
 * `correlationId`: through the store's own lookup when it has one (an index),
 * else by reading the whole log, reporting progress after each page and
 * waiting for `onScan` to settle before reading the next.
 */
export const findCorrelated = async (
  service: string,
  eventStore: EventStore,
  correlationId: string,
  { onScan }: { onScan?: (progress: ScanProgress) => void | Promise<void> } = {},
): Promise<CorrelatedEvents> => {
  const indexed = hasCorrelationLookup(eventStore) ? await eventStore.readCorrelated(correlationId) : undefined
  const events: TracedEvent[] = []
  if (indexed) {
    for await (const page of indexed.pages()) for (const e of page) events.push(traced(service, e))
    return { events, scanned: false, unreadable: 0 }
  }
  const head = await eventStore.headPosition()
  let unreadable = 0
  if (head === undefined) return { events, scanned: true, unreadable }
  for await (const page of eventStore.readAll().pages()) {
    for (const e of page) {
      let metadata: RecordedEvent['metadata']
      try {
        metadata = e.metadata
      } catch {
        unreadable++
        continue
      }
      if (metadata.correlationId === correlationId) events.push(traced(service, e))
    }
    // Awaited: a server yields to its other requests there, which a store whose reads are synchronous never would.
    await onScan?.({ service, position: page[page.length - 1]!.position, head })
  }
  return { events, scanned: true, unreadable }
}
