/** Options of {@link KafkaTransport}. */
export interface KafkaTransportOptions {
  /** Names this process to the broker (logs, quotas). @default 'eventfold' */
  readonly clientId?: string
  /**
   * Broker settings added to a topic when {@link KafkaTransport.declare} creates it,
   * by topic name (e.g. `{ 'orders': { 'min.insync.replicas': '2' } }`).
   * @default {}
   */
  readonly topicConfigs?: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** Replicas of each created topic; 1 on a one-node broker. @default 1 */
  readonly replicationFactor?: number
  /** A member silent this long is dropped from its group and its partitions go to the others. @default 10000 */
  readonly sessionTimeoutMs?: number
  /** How often a member tells its group it is alive. @default 1000 */
  readonly heartbeatIntervalMs?: number
  /** Longest wait of one fetch on the broker when there is nothing to read. @default 500 */
  readonly fetchMaxWaitMs?: number
  /** Per-request timeout of the client. @default 30000 */
  readonly requestTimeoutMs?: number
  /** Deliveries a member buffers before it stops fetching until some are read. @default 5000 */
  readonly bufferedDeliveries?: number
}

/** The name of the topic that holds `group`'s dead letters from `topic`. */
export const deadLetterTopic = (topic: string, group: string): string => `${topic}.${group}.dead-letter`

/** Headers a dead letter carries beside the original message's own. */
export const DEAD_LETTER_HEADERS = {
  reason: 'ef-dead-letter-reason',
  topic: 'ef-dead-letter-topic',
  partition: 'ef-dead-letter-partition',
  offset: 'ef-dead-letter-offset',
  group: 'ef-dead-letter-group',
} as const

/** The header that carries a message's id (the same one the integration envelope codec writes). */
export const ID_HEADER = 'ef-id'
