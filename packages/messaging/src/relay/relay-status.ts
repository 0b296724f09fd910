import type { EventStore } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import { LEASE_COLLECTION } from '@eventfold/projections/spi'
import { RELAY_PARKED_COLLECTION, RELAY_STATE_COLLECTION, relayPartitionName } from './relay-names'

/** Where one relay partition is. */
export interface RelayPartitionStatus {
  /** `<index>/<count>`. */
  readonly partition: string
  /** Last position published; `undefined` before the first checkpoint. */
  readonly checkpoint: bigint | undefined
  /** Positions between the checkpoint and the head of the log (the whole log before the first checkpoint). */
  readonly lag: bigint
  /** The process holding the partition's lease, while it holds it. */
  readonly owner: string | undefined
}

/** Where a relay is: per partition, and its parked events. */
export interface RelayStatus {
  readonly relay: string
  /** Empty when the relay never ran. */
  readonly partitions: readonly RelayPartitionStatus[]
  /** The log's last position; `undefined` for an empty log. */
  readonly head: bigint | undefined
  /** Events the relay could not map and parked. */
  readonly parked: number
}

/**
 * Reads a relay's checkpoints and leases from the producer's document store
 * and the head of its log. Reads only: safe on read-only stores.
 */
export const relayStatus = async (eventStore: EventStore, documents: DocumentStore, { name = 'default', now = Date.now() }: { name?: string; now?: number } = {}): Promise<RelayStatus> => {
  const head = await eventStore.headPosition()
  const state = await documents.get(RELAY_STATE_COLLECTION, name)
  const count = typeof state?.partitions === 'number' ? state.partitions : 0
  const names = Array.from({ length: count }, (_, index) => relayPartitionName(name, { index, count }))
  const leases = names.length > 0 ? await documents.getMany(LEASE_COLLECTION, names) : new Map()
  const partitions: RelayPartitionStatus[] = []
  for (const [index, key] of names.entries()) {
    const checkpoint = await documents.readCheckpoint(key)
    const lease = leases.get(key)?.doc
    const owner = lease && (lease.expiresAt as number) > now ? (lease.owner as string) : undefined
    const lag = head === undefined ? 0n : checkpoint === undefined ? head + 1n : head > checkpoint ? head - checkpoint : 0n
    partitions.push({ partition: `${index}/${count}`, checkpoint, lag, owner })
  }
  const parked = await documents.count(RELAY_PARKED_COLLECTION, { relay: name })
  return { relay: name, partitions, head, parked }
}
