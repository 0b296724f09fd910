/**
 * What one member delivered and handled on one partition. Kafka commits a
 * single offset per partition, so the commit point only moves over a run of
 * handled deliveries: one unhandled delivery holds back everything after it.
 */
export class PartitionProgress {
  // Delivered and not yet committed, in offset order.
  #pending: bigint[] = []
  readonly #handled = new Set<bigint>()
  #highestDelivered = -1n

  /** Records a delivery; true when this member delivered the offset before (a redelivery). */
  delivered(offset: bigint): boolean {
    const redelivered = offset <= this.#highestDelivered
    if (redelivered) {
      // The stream went back (rebalance, reset): what it delivered from here on comes again.
      this.#pending = this.#pending.filter((o) => o < offset)
      for (const o of this.#handled) if (o >= offset) this.#handled.delete(o)
    } else {
      this.#highestDelivered = offset
    }
    this.#pending.push(offset)
    return redelivered
  }

  /** Marks an offset handled; the offset to commit when the commit point moved, else `undefined`. */
  handled(offset: bigint): bigint | undefined {
    if (!this.#pending.includes(offset)) return undefined
    this.#handled.add(offset)
    let next: bigint | undefined
    while (this.#pending.length > 0 && this.#handled.has(this.#pending[0]!)) {
      const done = this.#pending.shift()!
      this.#handled.delete(done)
      next = done + 1n
    }
    return next
  }

  /** Forgets what is in flight: after a rebalance the group's committed offset is the truth again. */
  reset(): void {
    this.#pending = []
    this.#handled.clear()
  }
}
