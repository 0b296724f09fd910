// Names of what a topic and a consumer group are made of on the broker.

/** The durable topic exchange a topic is published to. */
export const topicExchange = (topic: string): string => topic

/** The queue holding a topic's declared settings, so every process reads the same partition count. */
export const topicSettingsQueue = (topic: string): string => `eventfold.topic.${topic}`

/** The queue of one partition of a topic for one consumer group. */
export const partitionQueue = (group: string, topic: string, partition: number): string => `${group}.${topic}.${partition}`

/** The exchange a group's dead-lettered messages go through. */
export const deadLetterExchange = (group: string): string => `${group}.dead-letter`

/** The queue where a group's dead-lettered messages are parked. */
export const parkedQueue = (group: string): string => `${group}.parked`

const encoder = new TextEncoder()

/**
 * The partition of `key` among `partitions`: FNV-1a (32 bits) of its UTF-8
 * bytes, modulo the count. Stable across processes and releases, because the
 * publisher routes by it and a key must always land in the same queue.
 */
export const partitionOf = (key: string, partitions: number): number => {
  let hash = 0x811c9dc5
  for (const byte of encoder.encode(key)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash % partitions
}
