import type { EventStore, RecordedEvent } from '@eventfold/core'
import { BatchReader } from './batch-reader'
import type { EngineSource } from './engine'

/** Events read from the log at a time when a batch is redone. */
const REPLAY_CHUNK = 1000

/** Options of {@link LogSource}. */
export interface LogSourceOptions {
  readonly eventStore: EventStore
  readonly eventTypes: readonly string[]
  /** The checkpoint: events after it are read. */
  readonly after: bigint | undefined
  /** Finished once caught up with the head. */
  readonly stopAtHead: boolean
  /** Told when the subscription catches up, so that a wait for the next event ends. */
  readonly onCaughtUp: () => void
}

/**
 * The log as a worker's source: a subscription from a checkpoint, filtered by
 * event type. A batch is redone by reading its stretch of the log again, so
 * an open batch costs the memory of its documents, not of its events.
 */
export class LogSource implements EngineSource<RecordedEvent> {
  /**
   * Where the subscription had scanned to when it last caught up: every
   * matching event up to there has been delivered. A worker whose events are
   * rare moves its checkpoint there, so its lag shows the truth and a restart
   * does not scan the same stretch of log again.
   */
  scanned: bigint | undefined
  private atHead = false
  private readonly subscription
  private readonly reader: BatchReader<RecordedEvent>

  constructor(private readonly options: LogSourceOptions) {
    const { eventStore, eventTypes, after } = options
    this.subscription = eventStore.subscribeToAll({
      fromPosition: after ?? 'start',
      filter: { eventTypes },
      onCaughtUp: (position) => {
        if (position !== undefined && (this.scanned === undefined || position > this.scanned)) this.scanned = position
        this.atHead = true
        options.onCaughtUp()
      },
    })
    const subscription = this.subscription
    this.reader = new BatchReader((max: number) => subscription.nextBatch(max))
  }

  read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<RecordedEvent[]> {
    return this.reader.read(maxCount, maxWaitMs, wake)
  }

  get finished(): boolean {
    return this.reader.done || (this.options.stopAtHead && this.atHead)
  }

  async *replay(first: RecordedEvent, last: RecordedEvent): AsyncIterable<readonly RecordedEvent[]> {
    const { eventStore, eventTypes } = this.options
    let chunk: RecordedEvent[] = []
    for await (const event of eventStore.readAll({ fromPosition: first.position, filter: { eventTypes } })) {
      if (event.position > last.position) break
      chunk.push(event)
      if (chunk.length === REPLAY_CHUNK) {
        yield chunk
        chunk = []
      }
    }
    if (chunk.length > 0) yield chunk
  }

  close(): Promise<void> {
    return this.subscription.close()
  }
}
