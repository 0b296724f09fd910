import { setTimeout as delay } from 'node:timers/promises'
import { ValidationError } from '@eventfold/core'
import { redactUrl } from '@eventfold/core/spi'
import { TopicMismatchError, UnknownTopicError } from '@eventfold/messaging'
import type { PartitionLag, SubscribeOptions, Subscription, TopicSpec, Transport, TransportMessage } from '@eventfold/messaging/spi'
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib'
import { BrokerRefusedError, BrokerUnreachableError, CompactedTopicUnsupportedError } from '../errors'
import { type AmqpErrorContext, replyCodeOf, translateAmqpError } from '../amqp/translate-error'
import { partitionOfKey } from '@eventfold/projections/spi'
import { deadLetterExchange, membersQueue as membersQueueOf, parkedQueue, partitionQueue, topicExchange, topicSettingsQueue } from '../topology/names'
import { decodeSettings, encodeSettings, settingsOf, type TopicSettings } from '../topology/topic-settings'
import { toAmqp } from './message'
import { PartitionSequences } from './sequence'
import { type PartitionSource, RabbitMQSubscription } from './subscription'

/** Options of {@link RabbitMQTransport}. */
export interface RabbitMQTransportOptions {
  /**
   * Unacknowledged deliveries the broker sends ahead to a member, per partition queue.
   * @default 100
   */
  readonly prefetch?: number
  /**
   * How long to wait for a topic's settings while another process holds them
   * for reading, before the topic counts as not declared.
   * @default 5000
   */
  readonly settingsTimeoutMs?: number
  /** Shown for the connection in RabbitMQ's tools. @default 'eventfold' */
  readonly connectionName?: string
  /**
   * How often a member compares the partitions it is active on with its
   * share (partitions divided by the group's members) and hands one over
   * when it has more.
   * @default 1000
   */
  readonly rebalanceIntervalMs?: number
}

type SettingsRead = { readonly state: 'found'; readonly settings: TopicSettings } | { readonly state: 'missing' | 'busy' }

/**
 * The {@link Transport} on RabbitMQ. A topic is a durable topic exchange; a
 * consumer group has one durable single-active-consumer queue per topic
 * partition (`<group>.<topic>.<n>`), and the publisher routes each message
 * to the partition of its key. Publishing waits for publisher confirms;
 * deliveries are acknowledged manually; the members of a group share its
 * partitions; dead letters go through the group's dead-letter exchange to
 * its parked queue.
 *
 * @example
 * const transport = new RabbitMQTransport('amqp://eventfold:eventfold@127.0.0.1:5672')
 * await transport.declare({ name: 'orders', partitions: 4 })
 */
export class RabbitMQTransport implements Transport {
  readonly name = 'rabbitmq'
  private readonly prefetch: number
  private readonly settingsTimeoutMs: number
  private readonly connectionName: string
  private readonly rebalanceIntervalMs: number
  private connecting: Promise<ChannelModel> | undefined
  private confirming: Promise<ConfirmChannel> | undefined
  private readonly settings = new Map<string, TopicSettings>()
  private readonly sequences = new PartitionSequences()
  private readonly subscriptions = new Set<RabbitMQSubscription>()
  private closed = false
  /** Why each confirm channel closed: its callbacks only get a bare error. */
  private readonly confirmEnds = new WeakMap<Channel, { closed: boolean; failure?: unknown }>()

  constructor(
    private readonly url: string,
    { prefetch = 100, settingsTimeoutMs = 5000, connectionName = 'eventfold', rebalanceIntervalMs = 1000 }: RabbitMQTransportOptions = {},
  ) {
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new ValidationError('prefetch must be a positive integer', [{ path: 'prefetch', message: String(prefetch) }])
    this.prefetch = prefetch
    this.settingsTimeoutMs = settingsTimeoutMs
    this.connectionName = connectionName
    this.rebalanceIntervalMs = rebalanceIntervalMs
  }

  /**
   * Creates the topic's exchange and records its settings on the broker when missing.
   * @throws {@link CompactedTopicUnsupportedError} for a compacted topic.
   * @throws {@link TopicMismatchError} when the topic exists with another partition count or retention.
   */
  async declare(topic: TopicSpec): Promise<void> {
    if (topic.compacted) throw new CompactedTopicUnsupportedError(topic.name)
    const wanted = settingsOf(topic)
    if (!Number.isInteger(wanted.partitions) || wanted.partitions < 1) {
      throw new ValidationError(`topic '${topic.name}' needs a positive integer partition count`, [{ path: 'partitions', message: String(wanted.partitions) }])
    }
    if (wanted.retentionMs !== 'forever' && (!Number.isInteger(wanted.retentionMs) || wanted.retentionMs < 1)) {
      throw new ValidationError(`topic '${topic.name}' needs a retention of 'forever' or a positive integer of milliseconds`, [{ path: 'retentionMs', message: String(wanted.retentionMs) }])
    }
    const exchange = topicExchange(topic.name)
    await this.withChannel({ operation: 'declare the topic exchange', topic: topic.name, exchange }, (channel) =>
      channel.assertExchange(exchange, 'topic', { durable: true }),
    )
    const existing = await this.readSettings(topic.name, 'declare')
    if (existing !== undefined) {
      if (existing.partitions !== wanted.partitions) throw new TopicMismatchError(topic.name, 'partitions', String(wanted.partitions), String(existing.partitions))
      if (existing.retentionMs !== wanted.retentionMs) throw new TopicMismatchError(topic.name, 'retentionMs', String(wanted.retentionMs), String(existing.retentionMs))
      this.settings.set(topic.name, existing)
      return
    }
    const queue = topicSettingsQueue(topic.name)
    await this.withChannel({ operation: 'declare the topic settings queue', topic: topic.name, queue }, (channel) =>
      // One message at most: a second declarer's copy replaces the first instead of adding to it.
      channel.assertQueue(queue, { durable: true, arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head' } }),
    )
    const channel = await this.confirmChannel()
    await new Promise<void>((resolve, reject) =>
      channel.sendToQueue(queue, encodeSettings(wanted), { persistent: true, contentType: 'application/json' }, (error: unknown) =>
        error ? reject(translateAmqpError(error, { operation: 'record the topic settings', topic: topic.name, queue })) : resolve(),
      ),
    )
    this.settings.set(topic.name, wanted)
  }

  /**
   * Publishes to the topic's exchange, each message routed to the partition
   * of its key, and resolves once the broker confirmed every one.
   * @throws `UnknownTopicError` when the topic was never declared.
   */
  async publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    if (messages.length === 0) return
    const { partitions } = await this.topicSettings(topic)
    const exchange = topicExchange(topic)
    const channel = await this.confirmChannel()
    // One promise for the batch: it settles when the broker has confirmed (or refused) every message of it.
    let pending = messages.length
    let failure: unknown
    let settle!: () => void
    const confirmed = new Promise<void>((resolve) => (settle = resolve))
    const confirm = (error: unknown): void => {
      if (error && failure === undefined) failure = this.publishError(error, channel, topic, exchange)
      if (--pending === 0) settle()
    }
    for (const message of messages) {
      const partition = partitionOfKey(message.key, partitions)
      const { content, options } = toAmqp(message, this.sequences.next(topic, partition))
      let sent: boolean
      try {
        sent = channel.publish(exchange, String(partition), content, options, confirm)
      } catch (error) {
        // amqplib refuses headers it cannot encode with a RangeError, and any send on a closed channel.
        if (error instanceof RangeError) {
          throw new ValidationError(`message '${message.id}' to topic '${topic}' cannot be sent`, [{ path: 'headers', message: error.message }])
        }
        throw this.publishError(error, channel, topic, exchange)
      }
      // The client's write buffer is full: wait for it to drain instead of growing it without bound.
      if (!sent) await drained(channel)
    }
    await confirmed
    if (failure !== undefined) throw failure
  }

  /**
   * Joins the group: creates its queues for every partition of the topics
   * (bound to the topic exchanges), its dead-letter exchange, parked queue
   * and members queue, then consumes every partition queue, each on a
   * channel of its own (see {@link RabbitMQTransportOptions.rebalanceIntervalMs}
   * for how members share them). RabbitMQ drops a message
   * routed to no queue, so a new group gets only what is published after
   * its queues exist, whatever `from` says.
   */
  async subscribe({ group, topics }: SubscribeOptions): Promise<Subscription> {
    if (topics.length === 0) throw new ValidationError('a subscription needs at least one topic', [{ path: 'topics', message: 'empty' }])
    const layouts = await Promise.all(topics.map(async (topic) => ({ topic, settings: await this.topicSettings(topic) })))
    const control = await this.openChannel().catch((error: unknown) => {
      throw translateAmqpError(error, { operation: 'open a channel', group })
    })
    control.on('error', () => undefined) // the pending call rejects with it
    const sources: PartitionSource[] = []
    const membersQueue = membersQueueOf(group)
    let context: AmqpErrorContext = { operation: 'declare the dead-letter exchange', exchange: deadLetterExchange(group), group }
    try {
      const dlx = deadLetterExchange(group)
      const parked = parkedQueue(group)
      await control.assertExchange(dlx, 'fanout', { durable: true })
      context = { operation: 'declare the parked queue', queue: parked, group }
      await control.assertQueue(parked, { durable: true })
      await control.bindQueue(parked, dlx, '')
      context = { operation: 'declare the members queue', queue: membersQueue, group }
      // Never holds a message: its consumer count is the number of members, and it goes with the last one.
      await control.assertQueue(membersQueue, { durable: false, autoDelete: true })
      for (const { topic, settings } of layouts) {
        for (let partition = 0; partition < settings.partitions; partition++) {
          const queue = partitionQueue(group, topic, partition)
          context = { operation: 'declare the partition queue', topic, queue, group }
          await control.assertQueue(queue, { durable: true, arguments: queueArguments(settings) })
          context = { operation: 'bind the partition queue', topic, exchange: topicExchange(topic), queue, group }
          await control.bindQueue(queue, topicExchange(topic), String(partition))
          sources.push({ topic, partition, queue })
        }
      }
    } catch (error) {
      await control.close().catch(() => undefined)
      throw translateAmqpError(error, context)
    }
    const member = await RabbitMQSubscription.join(
      { group, prefetch: this.prefetch, membersQueue, rebalanceIntervalMs: this.rebalanceIntervalMs },
      control,
      sources,
      { openChannel: () => this.openChannel(), confirmChannel: () => this.confirmChannel(), finished: (s) => this.subscriptions.delete(s) },
    )
    this.subscriptions.add(member)
    return member
  }

  /**
   * The group's lag per partition: the messages waiting in its queue, plus
   * those delivered to this process's members and not yet acknowledged.
   * RabbitMQ keeps no offsets, so `committed` is undefined and `end` equals
   * `lag`. A partition whose queue does not exist (the group never joined)
   * has nothing waiting.
   */
  async lag(group: string, topics: readonly string[]): Promise<readonly PartitionLag[]> {
    const lags: PartitionLag[] = []
    for (const topic of topics) {
      const { partitions } = await this.topicSettings(topic)
      for (let partition = 0; partition < partitions; partition++) {
        const queue = partitionQueue(group, topic, partition)
        let waiting = 0
        try {
          waiting = await this.withChannel({ operation: 'read the queue length', topic, queue, group }, async (channel) => (await channel.checkQueue(queue)).messageCount)
        } catch (error) {
          if (!isNotFound(error)) throw error
        }
        for (const member of this.subscriptions) if (member.group === group) waiting += member.unacknowledged(topic, partition)
        const lag = BigInt(waiting)
        lags.push({ topic, partition, committed: undefined, end: lag, lag })
      }
    }
    return lags
  }

  /** Leaves every group this transport joined (their unacknowledged deliveries go back to the queues) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    const connecting = this.connecting
    this.connecting = undefined
    this.confirming = undefined
    if (connecting) {
      const connection = await connecting.catch(() => undefined)
      await connection?.close().catch(() => undefined)
    }
  }

  /** The transport's confirm channel, opened again after the broker closed it (a publish to a missing exchange does). */
  confirmChannel(): Promise<ConfirmChannel> {
    if (!this.confirming) {
      const confirming = this.connection().then(async (connection) => {
        const channel = await connection.createConfirmChannel()
        const end: { closed: boolean; failure?: unknown } = { closed: false }
        this.confirmEnds.set(channel, end)
        // Pending publishes get a bare "channel closed" through their callbacks; the reply code comes with
        // 'error', and prepending to 'close' marks the channel closed before amqplib fails those callbacks.
        channel.on('error', (error: unknown) => {
          end.failure = error
        })
        channel.prependListener('close', () => {
          end.closed = true
        })
        channel.on('close', () => {
          if (this.confirming === confirming) this.confirming = undefined
        })
        return channel
      })
      confirming.catch(() => {
        if (this.confirming === confirming) this.confirming = undefined
      })
      this.confirming = confirming
    }
    return this.confirming
  }

  private async openChannel(): Promise<Channel> {
    return (await this.connection()).createChannel()
  }

  private connection(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new BrokerUnreachableError(redactUrl(this.url), { cause: new Error('the transport is closed') }))
    if (!this.connecting) {
      const connecting = amqp.connect(this.url, { clientProperties: { connection_name: this.connectionName } }).then(
        (connection) => {
          connection.on('error', () => undefined) // channels and pending calls report it
          connection.on('close', () => {
            if (this.connecting === connecting) {
              this.connecting = undefined
              this.confirming = undefined
            }
          })
          return connection
        },
        (error: unknown) => {
          if (this.connecting === connecting) this.connecting = undefined
          throw new BrokerUnreachableError(redactUrl(this.url), { cause: error })
        },
      )
      this.connecting = connecting
    }
    return this.connecting
  }

  // A short-lived channel per topology call: a refused call closes its channel, never a shared one.
  private async withChannel<T>(context: AmqpErrorContext, work: (channel: Channel) => Promise<T>): Promise<T> {
    const connection = await this.connection()
    let channel: Channel | undefined
    try {
      channel = await connection.createChannel()
      channel.on('error', () => undefined) // the pending call rejects with it
      const result = await work(channel)
      await channel.close()
      return result
    } catch (error) {
      await channel?.close().catch(() => undefined)
      throw translateAmqpError(error, context)
    }
  }

  private async topicSettings(topic: string): Promise<TopicSettings> {
    const known = this.settings.get(topic)
    if (known) return known
    const found = await this.readSettings(topic, 'use')
    if (found === undefined) throw new UnknownTopicError(this.name, topic)
    this.settings.set(topic, found)
    return found
  }

  // The settings message is read and put back; while another process holds it the queue looks empty for a moment.
  private async readSettings(topic: string, purpose: 'declare' | 'use'): Promise<TopicSettings | undefined> {
    const deadline = Date.now() + this.settingsTimeoutMs
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      const read = await this.readSettingsOnce(topic)
      if (read.state === 'found') return read.settings
      if (read.state === 'missing' || Date.now() >= deadline) {
        if (read.state === 'busy' && purpose === 'use') throw new UnknownTopicError(this.name, topic)
        return undefined
      }
      await delay(wait)
    }
  }

  private async readSettingsOnce(topic: string): Promise<SettingsRead> {
    const queue = topicSettingsQueue(topic)
    try {
      return await this.withChannel({ operation: 'read the topic settings', topic, queue }, async (channel) => {
        await channel.checkQueue(queue)
        const message = await channel.get(queue, { noAck: false })
        if (message === false) return { state: 'busy' }
        channel.nack(message, false, true)
        const settings = decodeSettings(message.content)
        if (settings === undefined) throw new BrokerRefusedError('read the topic settings', 0, 'the settings message is not one eventfold wrote', { queue })
        return { state: 'found', settings }
      })
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing' }
      throw error
    }
  }

  // The broker closed the channel (a reply code), the connection went away under the publish (the message
  // may or may not be stored: publish again), or the broker answered with a negative confirm.
  private publishError(error: unknown, channel: Channel, topic: string, exchange: string): unknown {
    const end = this.confirmEnds.get(channel)
    const cause = replyCodeOf(error) === undefined && replyCodeOf(end?.failure) !== undefined ? end!.failure : error
    if (replyCodeOf(cause) !== undefined) return translateAmqpError(cause, { operation: 'publish', topic, exchange })
    if (end?.closed) return new BrokerUnreachableError(redactUrl(this.url), { cause })
    return new BrokerRefusedError('publish', 0, 'NEGATIVE_CONFIRM', { exchange }, { cause })
  }
}

/** Resolves when the channel's write buffer drained, or the channel closed (its publishes then fail through their callbacks). */
const drained = (channel: Channel): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = (): void => {
      channel.off('drain', done)
      channel.off('close', done)
      resolve()
    }
    channel.on('drain', done)
    channel.on('close', done)
  })

const isNotFound = (error: unknown): boolean =>
  error instanceof BrokerRefusedError ? error.code === 404 : error instanceof UnknownTopicError || replyCodeOf(error) === 404

const queueArguments = (settings: TopicSettings): Record<string, unknown> => ({
  'x-single-active-consumer': true,
  ...(settings.retentionMs === 'forever' ? {} : { 'x-message-ttl': settings.retentionMs }),
})
