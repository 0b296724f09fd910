import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client'
import { isMissingStreamError } from '../mapping/client-errors'

/**
 * Tells which events read from `$all` a read of their stream would no longer
 * return: deleted (soft or hard), truncated (`$tb`), or outside `$maxCount`
 * or `$maxAge`. The server leaves such events in `$all` until a scavenge
 * removes them; hiding them makes a rebuild before a scavenge see what one
 * after it sees. Each stream's first readable revision is asked once (a
 * bounded cache, for one read or one subscription's catch-up).
 */
export class RemovedEvents {
  /** Per stream: its first readable revision, or `null` when nothing of it is readable. */
  private readonly firstReadable = new Map<string, bigint | null>()

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly capacity = 10_000,
  ) {}

  /** True when a read of the event's stream would not return it. */
  async hides(e: { readonly streamId: string; readonly revision: bigint }): Promise<boolean> {
    let first = this.firstReadable.get(e.streamId)
    if (first === undefined) {
      first = await this.firstReadableOf(e.streamId)
      if (this.firstReadable.size >= this.capacity) this.firstReadable.delete(this.firstReadable.keys().next().value!)
      this.firstReadable.set(e.streamId, first)
    }
    return first === null || e.revision < first
  }

  private async firstReadableOf(streamId: string): Promise<bigint | null> {
    const read = this.client.readStream(streamId, { direction: FORWARDS, fromRevision: START, maxCount: 1 })
    try {
      for await (const resolved of read) if (resolved.event) return resolved.event.revision
      return null
    } catch (error) {
      if (isMissingStreamError(error)) return null
      throw error
    } finally {
      await read.cancel().catch(() => undefined)
    }
  }
}
