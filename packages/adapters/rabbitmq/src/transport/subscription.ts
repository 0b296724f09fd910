import type { Delivery, Subscription } from '@eventfold/messaging/spi'
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib'
import { SubscriptionClosedError } from '../errors'
import { translateAmqpError } from '../amqp/translate-error'
import { deadLetterExchange } from '../topology/names'
import { fromAmqp, toDeadLetter } from './message'

/** What a subscription needs from its transport besides its own channel. */
export interface SubscriptionHost {
  /** The transport's confirm channel, for parking dead letters. */
  confirmChannel(): Promise<ConfirmChannel>
  /** Called once when the subscription ends, however it ends. */
  finished(subscription: RabbitMQSubscription): void
}

/**
 * One member of a consumer group: one channel consuming every partition
 * queue of its topics. Deliveries wait in memory (at most the prefetch per
 * queue) until `read` takes them; they stay unacknowledged until
 * `acknowledge`, so closing hands them back to the queues.
 */
export class RabbitMQSubscription implements Subscription {
  private readonly buffer: Delivery[] = []
  private readonly raw = new WeakMap<Delivery, ConsumeMessage>()
  private readonly outstanding = new Map<string, number>()
  private waiters: (() => void)[] = []
  private readonly woken = new WeakSet<Promise<void>>()
  private lastWake: Promise<void> | undefined
  private failure: unknown
  private closed = false

  constructor(
    readonly group: string,
    private readonly channel: Channel,
    private readonly host: SubscriptionHost,
    /** A queue of this member, used to wait until the broker has processed earlier acks. */
    private readonly barrierQueue: string,
  ) {
    channel.on('error', (error: unknown) => {
      this.failure = translateAmqpError(error, { operation: 'consume', group })
    })
    channel.on('close', () => this.end())
  }

  get finished(): boolean {
    return this.closed
  }

  /** Takes a message from partition `partition` of `topic`. */
  receive(message: ConsumeMessage | null, topic: string, partition: number): void {
    // A null message: the broker cancelled the consumer (its queue was deleted).
    if (message === null) {
      this.failure ??= new SubscriptionClosedError(this.group)
      void this.close()
      return
    }
    const delivery = fromAmqp(message, topic, partition)
    this.raw.set(delivery, message)
    const id = `${partition}:${topic}`
    this.outstanding.set(id, (this.outstanding.get(id) ?? 0) + 1)
    this.buffer.push(delivery)
    this.notify()
  }

  /** Deliveries of partition `partition` of `topic` this member holds and has not acknowledged. */
  unacknowledged(topic: string, partition: number): number {
    return this.outstanding.get(`${partition}:${topic}`) ?? 0
  }

  async read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly Delivery[]> {
    if (wake !== this.lastWake) {
      this.lastWake = wake
      void wake.then(() => {
        this.woken.add(wake)
        this.notify()
      })
    }
    const stop = (): boolean => this.woken.has(wake) || this.closed
    while (this.buffer.length === 0 && !stop()) await this.changed()
    if (this.buffer.length === 0 && this.failure !== undefined) throw this.failure
    const deadline = Date.now() + maxWaitMs
    while (this.buffer.length > 0 && this.buffer.length < maxCount && !stop() && Date.now() < deadline) {
      await this.changed(deadline - Date.now())
    }
    return this.buffer.splice(0, maxCount)
  }

  async acknowledge(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return
    this.assertOpen()
    for (const delivery of deliveries) this.channel.ack(this.message(delivery))
    await this.settled(deliveries)
  }

  async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    this.assertOpen()
    const message = this.message(delivery)
    const exchange = deadLetterExchange(this.group)
    const channel = await this.host.confirmChannel()
    const { content, options } = toDeadLetter(delivery, reason)
    await new Promise<void>((resolve, reject) => {
      channel.publish(exchange, '', content, options, (error: unknown) =>
        error ? reject(translateAmqpError(error, { operation: 'park a dead letter', exchange, group: this.group })) : resolve(),
      )
    })
    this.assertOpen()
    this.channel.ack(message)
    await this.settled([delivery])
  }

  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.channel.close()
    } catch {
      // Already closed by the broker or with the connection: the deliveries are back in the queues either way.
    }
    this.end()
  }

  private message(delivery: Delivery): ConsumeMessage {
    const message = this.raw.get(delivery)
    if (message === undefined) throw new SubscriptionClosedError(this.group, { cause: new Error('the delivery is not one of this subscription, or was acknowledged already') })
    return message
  }

  private assertOpen(): void {
    if (this.closed) throw new SubscriptionClosedError(this.group, { cause: this.failure })
  }

  // Acks have no reply in AMQP; a round trip on the same channel returns once the broker has processed them,
  // so the group's lag is right as soon as acknowledge resolves.
  private async settled(deliveries: readonly Delivery[]): Promise<void> {
    for (const delivery of deliveries) {
      this.raw.delete(delivery)
      const id = `${delivery.partition}:${delivery.topic}`
      this.outstanding.set(id, Math.max(0, (this.outstanding.get(id) ?? 0) - 1))
    }
    try {
      await this.channel.checkQueue(this.barrierQueue)
    } catch (error) {
      throw new SubscriptionClosedError(this.group, { cause: translateAmqpError(error, { operation: 'acknowledge', queue: this.barrierQueue, group: this.group }) })
    }
  }

  private end(): void {
    if (this.closed) return
    this.closed = true
    this.outstanding.clear()
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
