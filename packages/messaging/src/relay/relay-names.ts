import type { Partition } from '@eventfold/projections'
import { partitionKey } from '@eventfold/projections/spi'

/** Events the relay could not map, parked with their error, in the producer's document store. */
export const RELAY_PARKED_COLLECTION = '_ef_relay_parked'
/** One document per relay: the partition count its checkpoints were made with. */
export const RELAY_STATE_COLLECTION = '_ef_relays'
/** Heartbeats of the processes running a relay, to share its partitions fairly. */
export const RELAY_HOSTS_COLLECTION = '_ef_relay_hosts'

/** The checkpoint (and lease) name of one relay partition: `relay:<name>#<i>/<n>`. */
export const relayPartitionName = (relay: string, partition: Partition): string => `${relayPrefix(relay)}${partitionKey(partition)}`
export const relayPrefix = (relay: string): string => `relay:${relay}#`
/** Deterministic, so that the same event parked twice is one document. */
export const parkedId = (relay: string, position: bigint): string => `${relay}:${position}`
