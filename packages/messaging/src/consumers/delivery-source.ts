import type { EngineSource } from '@eventfold/projections/engine'
import type { Subscription } from '../transport/transport'
import type { ConsumerItem } from './consumer-sink'

/** A consumer group's deliveries as a worker's source; the engine keeps each open batch's items, to redo it and to acknowledge them. */
export class DeliverySource implements EngineSource<ConsumerItem> {
  private seq = 0n

  constructor(private readonly subscription: Subscription) {}

  async read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly ConsumerItem[]> {
    const deliveries = await this.subscription.read(maxCount, maxWaitMs, wake)
    return deliveries.map((delivery) => ({ delivery, seq: this.seq++ }))
  }

  get finished(): boolean {
    return this.subscription.finished
  }
}
