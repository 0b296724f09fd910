/**
 * What one member delivered and handled on one partition. Kafka commits a
 * single offset per partition, so the commit point only moves over a run of
 * handled deliveries: one unhandled delivery holds back everything after it.
 */
export class PartitionProgress {
  // Delivered and not yet committed, in offset order.
  #pending: bigint[] = []
  #head = 0
  readonly #pendingSet = new Set<bigint>()
  readonly #handled = new Set<bigint>()
  #highestDelivered = -1n

  /** Records a delivery; true when this member delivered the offset before (a redelivery). */
  delivered(offset: bigint): boolean {
    const redelivered = offset <= this.#highestDelivered
    if (redelivered) {
      // The stream went back (rebalance, reset): what it delivered from here on comes again.
      this.#pending = this.#pending.slice(this.#head).filter((o) => o < offset)
      this.#head = 0
      for (const o of [...this.#pendingSet]) if (o >= offset) this.#pendingSet.delete(o)
      for (const o of [...this.#handled]) if (o >= offset) this.#handled.delete(o)
    } else {
      this.#highestDelivered = offset
    }
    this.#pending.push(offset)
    this.#pendingSet.add(offset)
    return redelivered
  }

  /** Marks an offset handled; the offset to commit when the commit point moved, else `undefined`. */
  handled(offset: bigint): bigint | undefined {
    if (!this.#pendingSet.has(offset)) return undefined
    this.#handled.add(offset)
    let next: bigint | undefined
    while (this.#head < this.#pending.length && this.#handled.has(this.#pending[this.#head]!)) {
      const done = this.#pending[this.#head++]!
      this.#handled.delete(done)
      this.#pendingSet.delete(done)
      next = done + 1n
    }
    // Drop the committed prefix now and then rather than shifting on every step.
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head)
      this.#head = 0
    }
    return next
  }

  /** Forgets what is in flight: after a rebalance the group's committed offset is the truth again. */
  reset(): void {
    this.#pending = []
    this.#head = 0
    this.#pendingSet.clear()
    this.#handled.clear()
  }
}
