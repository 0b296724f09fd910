import type { RecordedEvent } from '@eventfold/core'
import type { BatchAttempt, EngineSink, OpenBatch } from '@eventfold/projections/engine'
import type { CompetingDelivery } from '@eventfold/projections/spi'

/** Applies one event. */
type EventHandler = (event: RecordedEvent) => Promise<void> | void

interface Parking {
  readonly delivery: CompetingDelivery
  readonly error: unknown
  readonly attempts: number
}

/** One try at a delivery: its handler's call. */
export class HandlerAttempt implements BatchAttempt<CompetingDelivery> {
  readonly parking = new Map<bigint, Parking>()

  constructor(private readonly handle: EventHandler) {}

  accepts(): boolean {
    return true
  }

  apply(delivery: CompetingDelivery): Promise<void> | void {
    return this.handle(delivery.event)
  }

  park(delivery: CompetingDelivery, error: unknown, attempts: number): void {
    this.parking.set(delivery.event.position, { delivery, error, attempts })
  }
}

/**
 * A handler of its own as a persistent consumer's sink: no documents, the
 * effect is the handler's call; committing a batch acknowledges its
 * deliveries, or parks through the group those the engine gave up on.
 */
export class HandlerSink implements EngineSink<CompetingDelivery, HandlerAttempt> {
  /** A commit only settles deliveries; one that failed is sent again as it is, without calling the handlers again. */
  readonly atomic = true

  constructor(private readonly handle: EventHandler) {}

  begin(): HandlerAttempt {
    return new HandlerAttempt(this.handle)
  }

  async commit(attempt: HandlerAttempt, batch: OpenBatch<CompetingDelivery>): Promise<{ writes: number; parked: number }> {
    await Promise.all(
      batch.items!.map((d) => {
        const p = attempt.parking.get(d.event.position)
        return p?.delivery === d ? d.park(p.error, p.attempts) : d.ack()
      }),
    )
    return { writes: 0, parked: attempt.parking.size }
  }
}
