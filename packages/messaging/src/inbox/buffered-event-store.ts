import {
  ConcurrencyError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventRead,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '@eventfold/core'
import { eventReadOfEvents, matchesExpectedRevision, prepareEvents } from '@eventfold/core/spi'
import type { StreamAppend } from './inbox-store'

/**
 * The consumer's log as one message's handler sees it: reads go to the real
 * store, appends are held (checked against what the store and earlier held
 * appends say) until the inbox commits them with the message.
 */
export class BufferedEventStore implements EventStore {
  /** The appends to commit, in order, each with the expected revision it was checked against. */
  readonly appends: StreamAppend[] = []
  private readonly held = new Map<string, { revision: bigint; events: RecordedEvent[] }>()

  constructor(private readonly store: EventStore) {}

  async appendToStream(streamId: string, events: readonly EventData[], { expectedRevision = 'any' }: AppendOptions = {}): Promise<AppendResult> {
    const prepared = prepareEvents(streamId, events)
    const current = await this.streamRevision(streamId)
    if (!matchesExpectedRevision(expectedRevision, current)) throw new ConcurrencyError(streamId, expectedRevision, current)
    this.appends.push({ streamId, events: prepared, expectedRevision })
    const stream = this.held.get(streamId) ?? { revision: current ?? -1n, events: [] }
    for (const e of prepared) {
      stream.revision++
      // The log gives positions at commit: a held event has none yet.
      stream.events.push({ ...e, streamId, revision: stream.revision, position: -1n })
    }
    this.held.set(streamId, stream)
    return { nextRevision: stream.revision, position: -1n }
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): EventRead {
    const held = this.held.get(streamId)
    if (!held) return this.store.readStream(streamId, options)
    const store = this.store
    return eventReadOfEvents(async function* () {
      const all: RecordedEvent[] = []
      for await (const e of store.readStream(streamId)) all.push(e)
      all.push(...held.events)
      const { direction = 'forwards', fromRevision, maxCount = Number.POSITIVE_INFINITY } = options
      const forwards = direction === 'forwards'
      const ordered = forwards ? all : all.reverse()
      let n = 0
      for (const e of ordered) {
        if (typeof fromRevision === 'bigint' && (forwards ? e.revision < fromRevision : e.revision > fromRevision)) continue
        if (n++ >= maxCount) return
        yield e
      }
    })
  }

  readAll(options?: ReadAllOptions): EventRead {
    return this.store.readAll(options)
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.store.subscribeToAll(options)
  }

  async streamRevision(streamId: string): Promise<bigint | undefined> {
    const held = this.held.get(streamId)
    return held ? held.revision : this.store.streamRevision(streamId)
  }

  headPosition(): Promise<bigint | undefined> {
    return this.store.headPosition()
  }

  /** The real store belongs to the consumer: a handler cannot close it. */
  async close(): Promise<void> {}
}
