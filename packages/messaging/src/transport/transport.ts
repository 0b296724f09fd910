/**
 * A topic as the application declares it. Transports create what is missing
 * and refuse a declaration that contradicts an existing topic.
 */
export interface TopicSpec {
  readonly name: string
  /** Units of order and parallelism: a key always maps to one partition. @default 1 */
  readonly partitions?: number
  /** How long the broker keeps messages; `'forever'` keeps the whole history for replay. @default 'forever' */
  readonly retentionMs?: number | 'forever'
  /** Keep only the latest message per key; a message with a `null` value deletes its key. @default false */
  readonly compacted?: boolean
}

/** One message as a transport sends it: bytes, a key that fixes its partition, and string headers. */
export interface TransportMessage {
  /** The dedupe key of the message (an integration event's id). */
  readonly id: string
  /** Messages with the same key keep their order end to end (the stream id). */
  readonly key: string
  readonly headers: Readonly<Record<string, string>>
  /** `null` is a tombstone: on a compacted topic it deletes the key. */
  readonly value: Uint8Array | null
}

/** A message as a consumer group receives it. */
export interface Delivery extends TransportMessage {
  readonly topic: string
  readonly partition: number
  /** The message's place in its partition (Kafka offset; a transport-assigned sequence elsewhere). */
  readonly offset: bigint
  /** True when the broker says it delivered this message before (redelivery after a crash or a rebalance). */
  readonly redelivered: boolean
}

/** The header that carries why a message was dead-lettered, on every transport. */
export const DEAD_LETTER_REASON_HEADER = 'ef-dead-letter-reason'

/** Where a consumer group starts when it has no committed position. */
export type StartFrom = 'earliest' | 'latest'

/** Options of {@link Transport.subscribe}. */
export interface SubscribeOptions {
  /** The consumer group: members share the partitions, each group gets every message. */
  readonly group: string
  readonly topics: readonly string[]
  /** @default 'earliest' */
  readonly from?: StartFrom
}

/** How far one consumer group is behind on one partition. */
export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Position the group has acknowledged through; `undefined` before its first acknowledgement. */
  readonly committed: bigint | undefined
  /** Position the next published message will take. */
  readonly end: bigint
  /** Messages published and not yet acknowledged by the group. */
  readonly lag: bigint
}

/**
 * One member of a consumer group. Its shape is a worker engine source: the
 * engine reads batches, the sink acknowledges what it committed.
 */
export interface Subscription {
  /**
   * The next deliveries, up to `maxCount`, as soon as there is one, waiting
   * at most `maxWaitMs` after the first for more; fewer or none when `wake`
   * resolves first. A delivery is never lost to a timeout or a wake.
   */
  read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly Delivery[]>
  /** True once the subscription was closed. */
  readonly finished: boolean
  /**
   * Marks deliveries handled: the group moves past them (offsets committed,
   * messages acked). Anything not acknowledged may be delivered again.
   */
  acknowledge(deliveries: readonly Delivery[]): Promise<void>
  /**
   * Hands a delivery that cannot be handled to the broker's dead-letter
   * destination with the reason, and moves past it.
   */
  deadLetter(delivery: Delivery, reason: string): Promise<void>
  /** Leaves the group; unacknowledged deliveries go to another member. */
  close(): Promise<void>
}

/**
 * The port a broker adapter implements. Every transport passes the transport
 * contract suite against a real broker.
 */
export interface Transport {
  /** Names the transport in errors and status output (`kafka`, `rabbitmq`, `memory`). */
  readonly name: string
  /** Creates the topic when missing. @throws {@link TopicMismatchError} when it exists with other settings. */
  declare(topic: TopicSpec): Promise<void>
  /**
   * Sends messages to a topic. Resolves once the broker has durably accepted
   * every one of them; messages with the same key keep their order.
   */
  publish(topic: string, messages: readonly TransportMessage[]): Promise<void>
  /** Joins a consumer group. */
  subscribe(options: SubscribeOptions): Promise<Subscription>
  /** The group's lag on each partition of the topics. */
  lag(group: string, topics: readonly string[]): Promise<readonly PartitionLag[]>
  close(): Promise<void>
}
