import type { RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '../dead-letters/dead-letters'

/** One event a consumer group handed to this consumer: acknowledge it or park it once done with it. */
export interface CompetingDelivery {
  readonly event: RecordedEvent
  /** Done with it: the group does not deliver it again. */
  ack(): Promise<void>
  /** Given up on it after `attempts`: the group keeps it, with `error`, as a dead letter. */
  park(error: unknown, attempts: number): Promise<void>
}

/** One consumer's membership of the group: iterate it for deliveries; `close()` leaves the group. */
export interface CompetingSubscription extends AsyncIterable<CompetingDelivery> {
  /** Leaves the group and ends the iteration: deliveries not acknowledged go to other consumers. */
  close(): Promise<void>
}

/**
 * The port of a consumer group that hands the events of a log out to
 * competing consumers (e.g. an EventStoreDB persistent subscription).
 *
 * What the {@link CompetingConsumerWorker} relies on: delivery is at least
 * once (a consumer that leaves has its unacknowledged events sent to
 * another), and the events of one stream reach one consumer at a time, in
 * stream order (the group pins streams to consumers).
 */
export interface CompetingConsumerSource {
  /** The group, as named in progress and errors. */
  readonly name: string
  /**
   * Joins the group.
   * The iteration fails when the group drops this consumer; join again to go on.
   */
  subscribe(): CompetingSubscription
  /** The events the group parked, as the framework's dead letters, oldest first. */
  deadLetters(): AsyncIterable<DeadLetter>
}
