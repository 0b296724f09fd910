import type { RecordedEvent } from '@eventfold/core'
import type { PartitionBy } from './decorators'

/** One slice of a projection: events whose key hashes to `index` modulo `count`. */
export interface Partition {
  readonly index: number
  readonly count: number
}

/** The whole log in one partition. */
export const SINGLE_PARTITION: Partition = { index: 0, count: 1 }

/** `'2/8'`: how a partition is named in checkpoints and document bookkeeping. */
export const partitionKey = ({ index, count }: Partition): string => `${index}/${count}`

/** 32-bit FNV-1a: stable across processes and versions, unlike anything seeded. */
export const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The partition, of `count`, that `key` always falls in: the same in every process and every component (workers, relay, transports). */
export const partitionOfKey = (key: string, count: number): number => (count === 1 ? 0 : fnv1a(key) % count)

/** True when `event` belongs to `partition`. */
export const inPartition = (event: RecordedEvent, partition: Partition, by: PartitionBy): boolean => {
  if (partition.count === 1) return true
  const key = by === 'stream' ? event.streamId : by(event)
  return partitionOfKey(key, partition.count) === partition.index
}

/**
 * Validates a partition.
 * @throws {RangeError}
 */
export const assertPartition = ({ index, count }: Partition): void => {
  if (!Number.isSafeInteger(count) || count < 1 || count > 1024) throw new RangeError(`partition count must be 1..1024, got ${count}`)
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new RangeError(`partition index must be 0..${count - 1}, got ${index}`)
}
