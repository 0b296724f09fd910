import type { Delivery, Subscription } from '@eventfold/messaging/spi'
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import { SubscriptionClosedError } from '../errors'
import { translateAmqpError } from '../amqp/translate-error'
import { deadLetterExchange } from '../topology/names'
import { fromAmqp, toDeadLetter } from './message'

/** One partition queue a member consumes. */
export interface PartitionSource {
  readonly topic: string
  readonly partition: number
  readonly queue: string
}

/** What a subscription needs from its transport. */
export interface SubscriptionHost {
  /** A new channel on the transport's connection. */
  openChannel(): Promise<Channel>
  /** The transport's confirm channel, for parking dead letters. */
  confirmChannel(): Promise<ConfirmChannel>
  /** Called once when the subscription ends, however it ends. */
  finished(subscription: RabbitMQSubscription): void
}

/** Settings of one member. */
export interface MemberSettings {
  readonly group: string
  /** Unacknowledged deliveries per partition queue. */
  readonly prefetch: number
  /** The queue every member of the group consumes from, so its consumer count is the number of members. */
  readonly membersQueue: string
  /** How often the member compares its partitions with its share. */
  readonly rebalanceIntervalMs: number
}

/** One partition queue consumed on a channel of its own, so the member can hand it over alone. */
interface Consumer {
  readonly source: PartitionSource
  channel: Channel
  /** Deliveries `read` handed out and not yet acknowledged. */
  handedOut: number
  /** The broker delivered to this registration: it is the queue's active consumer. */
  active: boolean
  /** Being handed over: its deliveries are held back from `read`. */
  draining: boolean
}

interface Received {
  readonly message: ConsumeMessage
  readonly consumer: Consumer
  readonly channel: Channel
}

/**
 * One member of a consumer group. Each partition queue is consumed on a
 * channel of its own with single active consumer, so one member at a time
 * takes a partition. A member active on more than its share of the
 * partitions (their count divided by the group's members) hands one over:
 * it holds that partition's deliveries back, waits until what it handed out
 * is acknowledged, then closes the channel, which puts the rest back in the
 * queue in order for the next member, and registers again behind it.
 */
export class RabbitMQSubscription implements Subscription {
  readonly group: string
  private readonly consumers: Consumer[] = []
  private readonly buffer: Delivery[] = []
  private readonly received = new WeakMap<Delivery, Received>()
  private waiters: (() => void)[] = []
  private readonly woken = new WeakSet<Promise<void>>()
  private lastWake: Promise<void> | undefined
  private failure: unknown
  private closed = false
  private lastRebalance = Date.now()
  private rebalancing = false

  private constructor(
    private readonly settings: MemberSettings,
    private readonly control: Channel,
    private readonly host: SubscriptionHost,
  ) {
    this.group = settings.group
    control.on('error', (error: unknown) => this.fail(translateAmqpError(error, { operation: 'consume', queue: settings.membersQueue, group: this.group })))
    control.on('close', () => this.end())
  }

  /**
   * Joins as a member on `control` (where the group's topology was
   * declared) and consumes every partition queue in `sources`.
   */
  static async join(settings: MemberSettings, control: Channel, sources: readonly PartitionSource[], host: SubscriptionHost): Promise<RabbitMQSubscription> {
    const member = new RabbitMQSubscription(settings, control, host)
    try {
      await control.consume(settings.membersQueue, () => undefined, { noAck: true })
      for (const source of sources) {
        const consumer: Consumer = { source, channel: control, handedOut: 0, active: false, draining: false }
        member.consumers.push(consumer)
        await member.register(consumer)
      }
    } catch (error) {
      await member.close()
      throw member.failure ?? error
    }
    return member
  }

  get finished(): boolean {
    return this.closed
  }

  /** Deliveries of partition `partition` of `topic` this member holds and has not acknowledged. */
  unacknowledged(topic: string, partition: number): number {
    const consumer = this.consumers.find((c) => c.source.topic === topic && c.source.partition === partition)
    if (consumer === undefined) return 0
    return consumer.handedOut + this.buffer.filter((d) => this.received.get(d)?.consumer === consumer).length
  }

  async read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly Delivery[]> {
    if (wake !== this.lastWake) {
      this.lastWake = wake
      void wake.then(() => {
        this.woken.add(wake)
        this.notify()
      })
    }
    this.maybeRebalance()
    const stop = (): boolean => this.woken.has(wake) || this.closed
    while (this.available() === 0 && !stop()) await this.changed()
    if (this.available() === 0 && this.failure !== undefined) throw this.failure
    const deadline = Date.now() + maxWaitMs
    while (this.available() > 0 && this.available() < maxCount && !stop() && Date.now() < deadline) {
      await this.changed(deadline - Date.now())
    }
    return this.take(maxCount)
  }

  async acknowledge(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return
    this.assertOpen()
    const entries = deliveries.map((delivery) => this.entry(delivery))
    for (const { message, channel } of entries) channel.ack(message)
    await this.settled(deliveries, entries)
  }

  async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    this.assertOpen()
    const entry = this.entry(delivery)
    const exchange = deadLetterExchange(this.group)
    const confirms = await this.host.confirmChannel()
    const { content, options } = toDeadLetter(delivery, reason)
    await new Promise<void>((resolve, reject) => {
      confirms.publish(exchange, '', content, options, (error: unknown) =>
        error ? reject(translateAmqpError(error, { operation: 'park a dead letter', exchange, group: this.group })) : resolve(),
      )
    })
    this.assertOpen()
    entry.channel.ack(entry.message)
    await this.settled([delivery], [entry])
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.end()
    // Closing the channels hands every unacknowledged delivery back to its queue, in order.
    const channels = new Set([...this.consumers.map((c) => c.channel), this.control])
    await Promise.all([...channels].map((channel) => channel.close().catch(() => undefined)))
  }

  /** Consumes the consumer's queue on a new channel; the broker makes it active when no other member is. */
  private async register(consumer: Consumer): Promise<void> {
    const { topic, queue } = consumer.source
    const context = { operation: 'consume', topic, queue, group: this.group }
    const channel = await this.host.openChannel()
    consumer.channel = channel
    consumer.active = false
    channel.on('error', (error: unknown) => this.fail(translateAmqpError(error, context)))
    channel.on('close', () => {
      // A channel closed for a hand-over has been replaced already; any other close ends the member.
      if (consumer.channel === channel) this.end()
    })
    try {
      await channel.prefetch(this.settings.prefetch)
      await channel.consume(queue, (message) => this.receive(consumer, channel, message), { noAck: false })
    } catch (error) {
      throw translateAmqpError(error, context)
    }
  }

  private receive(consumer: Consumer, channel: Channel, message: ConsumeMessage | null): void {
    // A null message: the broker cancelled the consumer (its queue was deleted).
    if (message === null) {
      this.fail(new SubscriptionClosedError(this.group))
      void this.close()
      return
    }
    if (consumer.channel !== channel) return
    consumer.active = true
    const delivery = fromAmqp(message, consumer.source.topic, consumer.source.partition)
    this.received.set(delivery, { message, consumer, channel })
    this.buffer.push(delivery)
    this.notify()
  }

  private available(): number {
    let count = 0
    for (const delivery of this.buffer) if (!this.received.get(delivery)!.consumer.draining) count++
    return count
  }

  // Takes deliveries in arrival order, leaving those of a partition being handed over where they are.
  private take(maxCount: number): Delivery[] {
    const taken: Delivery[] = []
    for (let i = 0; i < this.buffer.length && taken.length < maxCount; ) {
      const delivery = this.buffer[i]!
      const { consumer } = this.received.get(delivery)!
      if (consumer.draining) {
        i++
        continue
      }
      this.buffer.splice(i, 1)
      consumer.handedOut++
      taken.push(delivery)
    }
    return taken
  }

  private maybeRebalance(): void {
    if (this.rebalancing || this.closed || Date.now() - this.lastRebalance < this.settings.rebalanceIntervalMs) return
    this.rebalancing = true
    this.lastRebalance = Date.now()
    this.rebalance().then(
      () => (this.rebalancing = false),
      (error: unknown) => {
        this.fail(translateAmqpError(error, { operation: 'count the members', queue: this.settings.membersQueue, group: this.group }))
        void this.close()
      },
    )
  }

  private async rebalance(): Promise<void> {
    const { consumerCount } = await this.control.checkQueue(this.settings.membersQueue)
    const share = Math.ceil(this.consumers.length / Math.max(1, consumerCount))
    const active = this.consumers.filter((c) => c.active && !c.draining)
    if (active.length <= share) return
    // The partition with the least in flight is the quickest to hand over.
    const held = (c: Consumer): number => this.unacknowledged(c.source.topic, c.source.partition)
    const [handOver] = active.sort((a, b) => held(a) - held(b))
    await this.handOver(handOver!)
  }

  private async handOver(consumer: Consumer): Promise<void> {
    consumer.draining = true
    while (consumer.handedOut > 0 && !this.closed) await this.changed()
    if (this.closed) return
    const old = consumer.channel
    // From here on `receive` ignores the old channel, which may still deliver until it is closed.
    try {
      await this.register(consumer)
    } catch (error) {
      await old.close().catch(() => undefined)
      throw error
    }
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      if (this.received.get(this.buffer[i]!)!.channel === old) this.buffer.splice(i, 1)
    }
    consumer.draining = false
    await old.close().catch(() => undefined)
  }

  private entry(delivery: Delivery): Received {
    const entry = this.received.get(delivery)
    if (entry === undefined) throw new SubscriptionClosedError(this.group, { cause: new Error('the delivery is not one of this subscription, or was acknowledged already') })
    return entry
  }

  private assertOpen(): void {
    if (this.closed) throw new SubscriptionClosedError(this.group, { cause: this.failure })
  }

  // Acks have no reply in AMQP; a round trip on each channel returns once the broker has processed them,
  // so the group's lag is right as soon as acknowledge resolves.
  private async settled(deliveries: readonly Delivery[], entries: readonly Received[]): Promise<void> {
    for (const delivery of deliveries) this.received.delete(delivery)
    const channels = new Map<Channel, string>()
    for (const { consumer, channel } of entries) {
      consumer.handedOut = Math.max(0, consumer.handedOut - 1)
      channels.set(channel, consumer.source.queue)
    }
    this.notify()
    try {
      await Promise.all([...channels].map(([channel, queue]) => channel.checkQueue(queue)))
    } catch (error) {
      throw new SubscriptionClosedError(this.group, { cause: translateAmqpError(error, { operation: 'acknowledge', group: this.group }) })
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error
  }

  private end(): void {
    if (this.closed) return
    this.closed = true
    this.notify()
    this.host.finished(this)
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  private changed(timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, Math.max(0, timeoutMs))
      this.waiters.push(() => {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      })
    })
  }
}
