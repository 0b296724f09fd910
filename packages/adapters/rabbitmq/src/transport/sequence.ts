/**
 * The offsets a publisher stamps, one sequence per topic partition. Each
 * starts from the clock (microseconds since the epoch), so a restarted
 * publisher continues above what it stamped before instead of repeating
 * offsets; within a process the sequence only grows. Offsets are not dense.
 */
export class PartitionSequences {
  private readonly last = new Map<string, bigint>()

  constructor(private readonly now: () => number = Date.now) {}

  /** The next offset of `partition` of `topic`. */
  next(topic: string, partition: number): bigint {
    const id = `${partition}:${topic}`
    const clock = BigInt(Math.floor(this.now())) * 1000n
    const previous = this.last.get(id)
    const offset = previous === undefined || clock > previous ? clock : previous + 1n
    this.last.set(id, offset)
    return offset
  }
}
