import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer,
  type MessageToProduce,
} from '@platformatic/kafka'
import { TopicMismatchError, UnknownTopicError } from '@eventfold/messaging'
import type { PartitionLag, StartFrom, SubscribeOptions, Subscription, TopicSpec, Transport, TransportMessage } from '@eventfold/messaging/spi'
import { KafkaRequestError, type KafkaErrorContext } from '../errors'
import { KafkaSubscription } from './kafka-subscription'
import { ID_HEADER, deadLetterTopic, type KafkaTransportOptions } from './options'
import { translateError } from './translate-error'

type Headers = Record<string, Buffer>

const toHeaders = (headers: Readonly<Record<string, string>>): Headers => {
  const out: Headers = {}
  for (const [name, value] of Object.entries(headers)) out[name] = Buffer.from(value, 'utf8')
  return out
}

const hasCode = (error: unknown, code: string): boolean => {
  const seen = new Set<unknown>()
  const walk = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false
    seen.add(e)
    const record = e as { apiId?: unknown; errors?: unknown }
    if (record.apiId === code) return true
    return Array.isArray(record.errors) && record.errors.some(walk)
  }
  return walk(error)
}

/**
 * The {@link Transport} on Apache Kafka: an idempotent producer with
 * `acks=all`, topics created as declared, consumer groups that commit only
 * what was handled, dead letters on a topic per group and topic.
 *
 * @example
 * const transport = new KafkaTransport(['127.0.0.1:9092'])
 * await transport.declare({ name: 'orders', partitions: 3 })
 * await transport.publish('orders', [encodeEnvelope(envelope)])
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka'
  readonly #brokers: readonly string[]
  readonly #options: Required<KafkaTransportOptions>
  readonly #admin: Admin
  readonly #producer: Producer<Buffer, Buffer, string, Buffer>
  readonly #subscriptions = new Set<KafkaSubscription>()
  readonly #deadLetterTopics = new Map<string, Promise<void>>()
  // Topics seen to exist: the client waits without end on a send to a missing topic, so
  // publish checks each topic once before its first send.
  readonly #knownTopics = new Set<string>()
  // One send in flight at a time: the client's idempotent producer loses records of sends that overlap
  // (it answers success for them), and a relay publishes its partitions from one producer at once.
  #sending: Promise<unknown> = Promise.resolve()

  constructor(brokers: readonly string[], options: KafkaTransportOptions = {}) {
    this.#brokers = brokers
    this.#options = {
      clientId: options.clientId ?? 'eventfold',
      topicConfigs: options.topicConfigs ?? {},
      replicationFactor: options.replicationFactor ?? 1,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
      fetchMaxWaitMs: options.fetchMaxWaitMs ?? 500,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      bufferedDeliveries: options.bufferedDeliveries ?? 5_000,
    }
    const base = { bootstrapBrokers: [...brokers], timeout: this.#options.requestTimeoutMs, autocreateTopics: false }
    this.#admin = new Admin({ ...base, clientId: `${this.#options.clientId}-admin` })
    this.#producer = new Producer({
      ...base,
      clientId: `${this.#options.clientId}-producer`,
      idempotent: true,
      acks: ProduceAcks.ALL,
      // Header keys must reach the client as bytes: a send with string keys and no serializer never settles.
      serializers: { headerKey: (key?: string) => (key === undefined ? undefined : Buffer.from(key, 'utf8')) },
    })
  }

  #context(operation: string, topic?: string, group?: string): KafkaErrorContext {
    return { operation, brokers: this.#brokers.join(','), topic, group }
  }

  async declare(topic: TopicSpec): Promise<void> {
    const partitions = topic.partitions ?? 1
    const compacted = topic.compacted ?? false
    const retention = topic.retentionMs ?? 'forever'
    const configs: Record<string, string> = {
      'retention.ms': retention === 'forever' ? '-1' : String(retention),
      'cleanup.policy': compacted ? 'compact' : 'delete',
      ...this.#options.topicConfigs[topic.name],
    }
    const context = this.#context('declare', topic.name)
    try {
      await this.#admin.createTopics({
        topics: [topic.name],
        partitions,
        replicas: this.#options.replicationFactor,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })
      await this.#awaitListed(topic.name, context)
      this.#knownTopics.add(topic.name)
      return
    } catch (error) {
      if (!hasCode(error, 'TOPIC_ALREADY_EXISTS')) throw translateError(error, context)
    }
    await this.#checkExisting(topic.name, partitions, compacted, context)
  }

  async #checkExisting(name: string, partitions: number, compacted: boolean, context: KafkaErrorContext): Promise<void> {
    try {
      const metadata = await this.#admin.metadata({ topics: [name], forceUpdate: true })
      const actualPartitions = metadata.topics.get(name)?.partitionsCount
      if (actualPartitions !== undefined && actualPartitions !== partitions) {
        throw new TopicMismatchError(name, 'partitions', String(partitions), String(actualPartitions))
      }
      const [description] = await this.#admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: ['cleanup.policy'] }],
      })
      const policy = description?.configs.find((c) => c.name === 'cleanup.policy')?.value ?? 'delete'
      const actualCompacted = policy.split(',').includes('compact')
      if (actualCompacted !== compacted) {
        throw new TopicMismatchError(name, 'compaction', compacted ? 'compacted' : 'not compacted', `cleanup.policy=${policy}`)
      }
    } catch (error) {
      throw translateError(error, context)
    }
  }

  async publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    if (messages.length === 0) return
    await this.#requireTopics([topic], 'publish')
    const batch: MessageToProduce<Buffer, Buffer, string, Buffer>[] = messages.map((message) => ({
      topic,
      key: Buffer.from(message.key, 'utf8'),
      value: message.value === null ? undefined : Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
      // Kafka records have no id field: the id travels in the header the envelope codec also uses.
      headers: toHeaders({ ...message.headers, [ID_HEADER]: message.id }),
    }))
    const sent = this.#sending.then(() => this.#producer.send({ messages: batch }))
    this.#sending = sent.catch(() => {})
    try {
      await sent
    } catch (error) {
      throw translateError(error, this.#context('publish', topic))
    }
  }

  // The broker lists a new topic a moment after the controller created it; declare resolves
  // only once every client can see it, so another service may subscribe right after.
  async #awaitListed(name: string, context: KafkaErrorContext): Promise<void> {
    const deadline = Date.now() + this.#options.requestTimeoutMs
    for (;;) {
      try {
        if ((await this.#admin.listTopics()).includes(name)) return
      } catch (error) {
        throw translateError(error, context)
      }
      if (Date.now() > deadline) throw new KafkaRequestError(context, 'TOPIC_NOT_LISTED', `created, but not listed after ${this.#options.requestTimeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Fails with {@link UnknownTopicError} naming the first of `topics` that does not exist. */
  async #requireTopics(topics: readonly string[], operation: string): Promise<void> {
    const unknown = topics.filter((t) => !this.#knownTopics.has(t))
    if (unknown.length === 0) return
    let existing: string[]
    try {
      existing = await this.#admin.listTopics()
    } catch (error) {
      throw translateError(error, this.#context(operation, unknown.join(',')))
    }
    for (const topic of unknown) {
      if (!existing.includes(topic)) throw new UnknownTopicError(this.name, topic)
      this.#knownTopics.add(topic)
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.#requireTopics(options.topics, 'subscribe')
    await this.#pinStart(options.group, options.topics, options.from ?? 'earliest')
    const consumer = new Consumer({
      bootstrapBrokers: [...this.#brokers],
      clientId: `${this.#options.clientId}-${options.group}`,
      groupId: options.group,
      timeout: this.#options.requestTimeoutMs,
      autocreateTopics: false,
      sessionTimeout: this.#options.sessionTimeoutMs,
      heartbeatInterval: this.#options.heartbeatIntervalMs,
      rebalanceTimeout: this.#options.sessionTimeoutMs,
      maxWaitTime: this.#options.fetchMaxWaitMs,
    })
    const subscription = new KafkaSubscription(consumer, options, {
      bufferedDeliveries: this.#options.bufferedDeliveries,
      context: (operation, topic) => this.#context(operation, topic, options.group),
      deadLetter: async (delivery, headers) => {
        const target = deadLetterTopic(delivery.topic, options.group)
        await this.#ensureDeadLetterTopic(target)
        await this.publish(target, [{ id: delivery.id, key: delivery.key, headers, value: delivery.value }])
      },
      closed: (s) => this.#subscriptions.delete(s),
    })
    this.#subscriptions.add(subscription)
    try {
      await subscription.start()
    } catch (error) {
      this.#subscriptions.delete(subscription)
      throw error
    }
    return subscription
  }

  // A group gets its starting offsets committed before its first member reads. The client
  // goes back to the committed offset on every rebalance but, where there is none, keeps its
  // own read position, which skips what a member had fetched and not handled; and it looks
  // 'latest' up again, which skips what arrived in between.
  async #pinStart(group: string, topics: readonly string[], from: StartFrom): Promise<void> {
    const context = this.#context('subscribe', topics.join(','), group)
    const unset = (await this.lag(group, topics)).filter((p) => p.committed === undefined)
    if (unset.length === 0) return
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>()
    try {
      let start = new Map<string, bigint>()
      if (from === 'earliest') {
        const earliest = await this.#admin.listOffsets({
          topics: [...new Set(unset.map((p) => p.topic))].map((name) => ({
            name,
            partitions: unset.filter((p) => p.topic === name).map((p) => ({ partitionIndex: p.partition, timestamp: ListOffsetTimestamps.EARLIEST })),
          })),
        })
        start = new Map(earliest.flatMap((t) => t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, p.offset] as const)))
      }
      for (const p of unset) {
        const offset = from === 'latest' ? p.end : (start.get(`${p.topic}:${p.partition}`) ?? 0n)
        byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, offset }])
      }
      await this.#admin.alterConsumerGroupOffsets({
        groupId: group,
        topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
      })
    } catch (error) {
      // A group with live members keeps its own positions: only an empty group can be moved.
      if (hasCode(error, 'UNKNOWN_MEMBER_ID') || hasCode(error, 'REBALANCE_IN_PROGRESS')) return
      throw translateError(error, context)
    }
  }

  #ensureDeadLetterTopic(name: string): Promise<void> {
    let declared = this.#deadLetterTopics.get(name)
    if (declared === undefined) {
      declared = this.declare({ name, partitions: 1, retentionMs: 'forever' })
      declared.catch(() => this.#deadLetterTopics.delete(name))
      this.#deadLetterTopics.set(name, declared)
    }
    return declared
  }

  async lag(group: string, topics: readonly string[]): Promise<readonly PartitionLag[]> {
    const context = this.#context('lag', topics.join(','), group)
    await this.#requireTopics(topics, 'lag')
    try {
      const metadata = await this.#admin.metadata({ topics: [...topics], forceUpdate: true })
      const request = topics.map((name) => {
        const count = metadata.topics.get(name)?.partitionsCount ?? 0
        return {
          name,
          partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp: ListOffsetTimestamps.LATEST })),
        }
      })
      const [ends, committed] = await Promise.all([
        this.#admin.listOffsets({ topics: request }),
        this.#admin.listConsumerGroupOffsets({
          groups: [{ groupId: group, topics: request.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })) }],
        }),
      ])
      const committedOf = new Map<string, bigint>()
      for (const t of committed[0]?.topics ?? []) {
        for (const p of t.partitions) if (p.committedOffset >= 0n) committedOf.set(`${t.name}:${p.partitionIndex}`, p.committedOffset)
      }
      const out: PartitionLag[] = []
      for (const t of ends) {
        for (const p of t.partitions) {
          const at = committedOf.get(`${t.name}:${p.partitionIndex}`)
          out.push({ topic: t.name, partition: p.partitionIndex, committed: at, end: p.offset, lag: p.offset - (at ?? 0n) })
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    } catch (error) {
      throw translateError(error, context)
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close()))
    await Promise.allSettled([this.#producer.close(), this.#admin.close()])
  }
}
