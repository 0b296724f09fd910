import {
  END,
  ErrorType,
  PARK,
  PINNED,
  START,
  persistentSubscriptionToAllSettingsFromDefaults,
  type Credentials,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToAllResolvedEvent,
  type PersistentSubscriptionToAllSettings,
  type Position,
} from '@eventstore/db-client'
import type { EventFilter, RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '@eventfold/projections'
import type { CompetingConsumerSource, CompetingDelivery, CompetingSubscription } from '@eventfold/projections/spi'
import { toAdapterClient, type AdapterClient, type EventStoreClient } from '../client/client'
import { isMissingStreamError } from '../mapping/client-errors'
import { fromEventStoreDBEvent } from '../mapping/events'
import { matchesEventFilter, toEventStoreDBFilter } from '../mapping/filter'
import { decodePosition, encodePosition, isLogPosition } from '../mapping/position'
import { PositionUnavailableError, SubscriptionDroppedError } from '../errors'
import { readStreamEvent } from '../store/stream-event'
import { OrderedBuffer } from '../store/ordered-buffer'
import { Acknowledgements } from './acknowledgements'
import { encodeParkReason, parkedStreamOf, toDeadLetter } from './parked-messages'

/** The settings an update can change: all but `startFrom`, which only places a new group. */
const sameSettings = (a: PersistentSubscriptionToAllSettings, b: PersistentSubscriptionToAllSettings): boolean =>
  (Object.keys(b) as (keyof PersistentSubscriptionToAllSettings)[]).every((key) => key === 'startFrom' || a[key] === b[key])

/** Options of {@link PersistentSubscriptionSource}. */
export interface PersistentSubscriptionSourceOptions {
  /** The persistent subscription group on `$all`: one per projection, joined by every worker of it. */
  readonly group: string
  /** The events the group delivers, filtered by the server (set when the group is created). @default every non-system event */
  readonly filter?: EventFilter
  /** Where a new group starts: `'start'`, `'end'`, or a position (inclusive). @default 'start' */
  readonly startFrom?: 'start' | 'end' | bigint
  /** Events the server may have in flight to this worker. @default 10 */
  readonly bufferSize?: number
  /** Server settings of the group, over this class's defaults (`Pinned`, start, no link resolution). */
  readonly settings?: Partial<PersistentSubscriptionToAllSettings>
  /** The projection named in dead letters. @default the group */
  readonly projection?: string
  /** The read-model generation named in dead letters. @default 1 */
  readonly generation?: number
  /** Credentials for managing the group and reading its parked messages (admin by default on the server). @default the client's */
  readonly credentials?: Credentials
}

/** A worker's membership of the group, as {@link PersistentSubscriptionSource.subscribe} returns it. */
export interface PersistentSubscriptionFeed extends CompetingSubscription {
  /** Stops delivering: the iteration ends; acknowledgements still go through until {@link close}. */
  end(): void
}

/**
 * A persistent subscription group on `$all` with the `Pinned` consumer
 * strategy, as the {@link CompetingConsumerSource} of a
 * `CompetingConsumerWorker`: the server keeps the group's position and hands
 * each event to one of the workers that joined.
 *
 * `Pinned` hashes each event's stream id into a bucket and sends a bucket to
 * one worker only, so the events of one stream reach one worker, in order.
 * (`PinnedByCorrelation` hashes the `$correlationId` of the metadata instead,
 * which would spread one stream over workers as soon as its events come from
 * different requests; this client version cannot even select it.) Buckets
 * move when workers join or leave; the unacknowledged events of a worker
 * that leaves are sent again. A delivery is parked with a `park` nack: the
 * server writes it to the group's parked stream with the error, which
 * {@link deadLetters} lists and {@link replayParked} sends again.
 *
 * System events and events outside the filter are acknowledged here and not
 * delivered; an event whose position the server did not send is parked at once.
 */
export class PersistentSubscriptionSource implements CompetingConsumerSource {
  /** Events acknowledged without delivering them, and events parked. */
  protected readonly counts = { skipped: 0, parked: 0 }

  /** The client, in the adapter's shape (see `toAdapterClient`). */
  private readonly esdb: AdapterClient

  constructor(
    client: EventStoreClient,
    protected readonly options: PersistentSubscriptionSourceOptions,
  ) {
    if (typeof options.group !== 'string' || options.group.length === 0) throw new RangeError('A persistent subscription group needs a non-empty name')
    this.esdb = toAdapterClient(client)
  }

  /** The group's name. */
  get name(): string {
    return this.options.group
  }

  /** The group's name. */
  get group(): string {
    return this.options.group
  }

  /** The stream where the server parks this group's messages. */
  get parkedStream(): string {
    return parkedStreamOf(this.options.group)
  }

  /** The group's settings as this source creates them. */
  settings(): PersistentSubscriptionToAllSettings {
    const { startFrom = 'start', settings } = this.options
    return persistentSubscriptionToAllSettingsFromDefaults({
      startFrom: startFrom === 'start' ? START : startFrom === 'end' ? END : decodePosition(startFrom),
      consumerStrategyName: PINNED,
      resolveLinkTos: false,
      ...settings,
    })
  }

  /**
   * Creates the group when it is missing, and updates it only when its
   * settings differ from {@link settings}: the server replaces a group on
   * update and disconnects every worker in it, so a worker that starts
   * must not update a group that already has the right settings. `startFrom`
   * counts only at creation. The server cannot change a group's filter:
   * delete and create it for that.
   * @returns whether the group was created, updated, or left as it was.
   */
  async ensure(): Promise<'created' | 'updated' | 'unchanged'> {
    const { group, filter, credentials } = this.options
    const settings = this.settings()
    try {
      await this.esdb.createPersistentSubscriptionToAll(group, settings, { filter: toEventStoreDBFilter(filter), ...(credentials ? { credentials } : {}) })
      return 'created'
    } catch (error) {
      if ((error as { type?: unknown })?.type !== ErrorType.PERSISTENT_SUBSCRIPTION_EXISTS) throw error
    }
    const { settings: current } = await this.esdb.getPersistentSubscriptionToAllInfo(group, credentials ? { credentials } : {})
    if (sameSettings(current, settings)) return 'unchanged'
    await this.updateSettings()
    return 'updated'
  }

  /**
   * Writes {@link settings} to the existing group, whatever it has now. The
   * server then drops every connected worker (they join again and get their
   * unacknowledged events once more): an admin step, not one for each start.
   */
  async updateSettings(): Promise<void> {
    const { group, credentials } = this.options
    await this.esdb.updatePersistentSubscriptionToAll(group, this.settings(), credentials ? { credentials } : {})
  }

  /**
   * Joins the group. Iterating the feed fails with
   * {@link SubscriptionDroppedError} when the server or the connection ends
   * the subscription; join again to go on.
   */
  subscribe(): PersistentSubscriptionFeed {
    const { group, bufferSize = 10, credentials } = this.options
    const sub = this.esdb.subscribeToPersistentSubscriptionToAll(group, { bufferSize, ...(credentials ? { credentials } : {}) })
    const acks = new Acknowledgements(sub)
    const buffer = new OrderedBuffer<PersistentSubscriptionToAllResolvedEvent, never>()
    let ended = false
    sub.on('data', (e: PersistentSubscriptionToAllResolvedEvent) => buffer.push(e))
    sub.on('error', (error: unknown) => buffer.fail(error))
    sub.on('end', () => (ended ? buffer.end() : buffer.fail(undefined)))
    const source = this
    const end = () => {
      ended = true
      buffer.end()
    }
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const item = await buffer.take()
          if (item.kind === 'end') return
          if (item.kind === 'error') {
            if (ended) return
            throw new SubscriptionDroppedError({ cause: item.error })
          }
          if (item.kind !== 'event') continue
          const delivery = await source.toDelivery(sub, acks, item.event)
          if (delivery) yield delivery
        }
      },
      end,
      close: async () => {
        end()
        sub.removeAllListeners('data')
        await sub.unsubscribe().catch(() => undefined)
      },
    }
  }

  /**
   * The group's parked messages as framework dead letters, oldest first,
   * read from its parked stream (messages already replayed are left out).
   */
  async *deadLetters(): AsyncIterable<DeadLetter> {
    const { group, projection = group, generation = 1, credentials } = this.options
    const read = this.esdb.readStream(this.parkedStream, { resolveLinkTos: true, ...(credentials ? { credentials } : {}) })
    try {
      for await (const parked of read) {
        const letter = toDeadLetter(parked, { projection, group, generation })
        if (letter) yield letter
      }
    } catch (error) {
      if (!isMissingStreamError(error)) throw error
    } finally {
      await read.cancel().catch(() => undefined)
    }
  }

  /**
   * Sends the parked messages to the group again (the server's replay); they
   * leave the parked stream as they are replayed.
   * @param stopAt - replay at most this many.
   */
  async replayParked({ stopAt }: { stopAt?: number } = {}): Promise<void> {
    const { credentials } = this.options
    await this.esdb.replayParkedMessagesToAll(this.options.group, {
      ...(stopAt !== undefined ? { stopAt } : {}),
      ...(credentials ? { credentials } : {}),
    })
  }

  /** The delivery of a received event, or `undefined` when it was acknowledged or parked here. */
  private async toDelivery(
    sub: PersistentSubscriptionToAll,
    acks: Acknowledgements,
    resolved: PersistentSubscriptionToAllResolvedEvent,
  ): Promise<CompetingDelivery | undefined> {
    const raw = resolved.event
    if (!raw || !matchesEventFilter(this.options.filter, raw)) {
      await acks.ack(resolved)
      this.counts.skipped++
      return undefined
    }
    let event: RecordedEvent
    try {
      // An event that came through a link (a replayed parked message) carries the link's position in the parked stream.
      const position = resolved.link ? await this.logPositionOf(raw) : raw.position
      if (!isLogPosition(position)) throw new PositionUnavailableError(raw.streamId, raw.revision)
      event = fromEventStoreDBEvent(raw, encodePosition(position))
    } catch (error) {
      await this.park(sub, resolved, error, 1)
      return undefined
    }
    return {
      event,
      ack: () => acks.ack(resolved),
      // The server counts the earlier deliveries of the event (to workers that left or timed out).
      park: (error, attempts) => this.park(sub, resolved, error, resolved.retryCount + attempts),
    }
  }

  /** The `$all` position of an event, read from its stream; `undefined` when the server gives none or the event is gone. */
  private async logPositionOf(e: { readonly streamId: string; readonly revision: bigint }): Promise<Position | undefined> {
    return (await readStreamEvent(this.esdb, e, this.options.credentials))?.position
  }

  private async park(sub: PersistentSubscriptionToAll, resolved: PersistentSubscriptionToAllResolvedEvent, error: unknown, attempts: number): Promise<void> {
    await sub.nack(PARK, encodeParkReason(error, attempts), resolved)
    this.counts.parked++
  }
}
