import type { Consumer, Message, MessagesStream } from '@platformatic/kafka'
import type { Delivery, SubscribeOptions, Subscription } from '@eventfold/messaging/spi'
import type { KafkaErrorContext } from '../errors'
import { DEAD_LETTER_HEADERS, ID_HEADER } from './options'
import { PartitionProgress } from './partition-progress'
import { translateError } from './translate-error'

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>

/** What a subscription needs from its transport. */
export interface SubscriptionWiring {
  readonly bufferedDeliveries: number
  readonly context: (operation: string, topic?: string) => KafkaErrorContext
  readonly deadLetter: (delivery: Delivery, headers: Record<string, string>) => Promise<void>
  readonly closed: (subscription: KafkaSubscription) => void
}

// A commit refused because this member no longer owns the partition: its
// deliveries go to the new owner, which is at-least-once working as meant.
const LOST_PARTITION = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'STALE_MEMBER_EPOCH'])

const protocolCodes = (error: unknown, out: string[] = []): string[] => {
  if (error === null || typeof error !== 'object') return out
  const e = error as { apiId?: unknown; errors?: unknown }
  if (typeof e.apiId === 'string') out.push(e.apiId)
  if (Array.isArray(e.errors)) for (const inner of e.errors) protocolCodes(inner, out)
  return out
}

const splitKey = (key: string): [string, number] => {
  const at = key.lastIndexOf(':')
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

const headersOf = (message: KafkaMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of message.headers) out[key.toString('utf8')] = value === undefined ? '' : value.toString('utf8')
  return out
}

/** One member of a Kafka consumer group; see {@link Subscription}. */
export class KafkaSubscription implements Subscription {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>
  readonly #options: SubscribeOptions
  readonly #wiring: SubscriptionWiring
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined
  // Messages fetched and not yet handed out by read(); they stay here until read() takes them.
  #queue: KafkaMessage[] = []
  readonly #progress = new Map<string, PartitionProgress>()
  #arrived: (() => void) | undefined
  readonly #wakes = new WeakMap<Promise<void>, { woken: boolean }>()
  // The highest offset queued per partition, to notice at once when the stream went back.
  readonly #lastQueued = new Map<string, bigint>()
  #failure: Error | undefined
  #finished = false
  #paused = false
  #starting: Promise<void> | undefined

  constructor(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, options: SubscribeOptions, wiring: SubscriptionWiring) {
    this.#consumer = consumer
    this.#options = options
    this.#wiring = wiring
  }

  get finished(): boolean {
    return this.#finished
  }

  /** Joins the group and starts fetching. */
  start(): Promise<void> {
    this.#starting ??= this.#start()
    return this.#starting
  }

  async #start(): Promise<void> {
    // After a rebalance this member hands out nothing of a partition it lost (the new owner
    // reads it from the committed offset) and forgets what it had in flight there; it keeps
    // the highest offset it delivered, to know a redelivery should the partition come back.
    // A group member that cannot rejoin after a failed heartbeat says so with an 'error' on the
    // consumer itself: unheard, it would end the process.
    this.#consumer.on('error', (error: Error) => this.#fail(error))
    this.#consumer.on('consumer:group:join', () => {
      this.#queue = this.#queue.filter((m) => this.#owns(m.topic, m.partition))
      for (const key of [...this.#progress.keys()]) {
        const [topic, partition] = splitKey(key)
        if (!this.#owns(topic, partition)) this.#progress.get(key)!.reset()
      }
    })
    try {
      this.#stream = await this.#consumer.consume({
        topics: [...this.#options.topics],
        mode: 'committed',
        fallbackMode: this.#options.from ?? 'earliest',
        autocommit: false,
      })
    } catch (error) {
      await this.#forceClose()
      this.#finished = true
      throw translateError(error, this.#wiring.context('subscribe', this.#options.topics.join(',')))
    }
    this.#stream.on('data', (message: KafkaMessage) => {
      // The stream went back to the committed offset (a rebalance): what is queued from there on comes again.
      const key = `${message.topic}:${message.partition}`
      const last = this.#lastQueued.get(key)
      if (last !== undefined && message.offset <= last) {
        this.#queue = this.#queue.filter((m) => m.topic !== message.topic || m.partition !== message.partition || m.offset < message.offset)
      }
      this.#lastQueued.set(key, message.offset)
      this.#queue.push(message)
      if (!this.#paused && this.#queue.length >= this.#wiring.bufferedDeliveries) {
        this.#paused = true
        this.#stream?.pause()
      }
      this.#signal()
    })
    this.#stream.on('error', (error: Error) => this.#fail(error))
  }

  /** Ends the subscription with `error`, which the next read throws. */
  #fail(error: Error): void {
    if (this.#finished) return
    this.#failure = translateError(error, this.#wiring.context('read', this.#options.topics.join(',')))
    this.#signal()
  }

  #owns(topic: string, partition: number): boolean {
    return this.#consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false
  }

  #signal(): void {
    const arrived = this.#arrived
    this.#arrived = undefined
    arrived?.()
  }

  /** Whether `wake` resolved; one listener per distinct promise, however many reads share it. */
  #watch(wake: Promise<void>): { woken: boolean } {
    let state = this.#wakes.get(wake)
    if (state === undefined) {
      const created = { woken: false }
      this.#wakes.set(wake, created)
      void wake.then(() => {
        created.woken = true
        this.#signal()
      })
      state = created
    }
    return state
  }

  /** Resolves when a message arrives, the subscription fails, closes or is woken, or `ms` pass. */
  #waitForSignal(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(resolve, ms)
      this.#arrived = () => {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      }
    })
  }

  async read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<readonly Delivery[]> {
    const state = this.#watch(wake)
    // A wake that already resolved is seen once its listener ran.
    await Promise.resolve()
    const stop = (): boolean => state.woken || this.#finished || this.#failure !== undefined
    while (this.#queue.length === 0 && !stop()) await this.#waitForSignal(Infinity)
    const deadline = Date.now() + maxWaitMs
    while (this.#queue.length < maxCount && !stop() && Date.now() < deadline) await this.#waitForSignal(deadline - Date.now())
    if (this.#queue.length === 0 && this.#failure !== undefined) throw this.#failure
    const taken = this.#queue.splice(0, maxCount)
    if (this.#paused && this.#queue.length < this.#wiring.bufferedDeliveries / 2) {
      this.#paused = false
      this.#stream?.resume()
    }
    return taken.map((message) => this.#toDelivery(message))
  }

  #toDelivery(message: KafkaMessage): Delivery {
    const key = `${message.topic}:${message.partition}`
    let progress = this.#progress.get(key)
    if (progress === undefined) {
      progress = new PartitionProgress()
      this.#progress.set(key, progress)
    }
    const redelivered = progress.delivered(message.offset)
    const headers = headersOf(message)
    return {
      id: headers[ID_HEADER] ?? `${message.topic}:${message.partition}:${message.offset}`,
      key: message.key === undefined || message.key === null ? '' : message.key.toString('utf8'),
      headers,
      value: message.value === undefined || message.value === null ? null : new Uint8Array(message.value),
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      redelivered,
    }
  }

  async acknowledge(deliveries: readonly Delivery[]): Promise<void> {
    const commits = new Map<string, { topic: string; partition: number; offset: bigint }>()
    for (const delivery of deliveries) {
      // Committing for a partition another member now owns could move the group past what that member still handles.
      if (!this.#owns(delivery.topic, delivery.partition)) continue
      const key = `${delivery.topic}:${delivery.partition}`
      const next = this.#progress.get(key)?.handled(delivery.offset)
      if (next !== undefined) commits.set(key, { topic: delivery.topic, partition: delivery.partition, offset: next })
    }
    if (commits.size === 0) return
    try {
      await this.#consumer.commit({ offsets: [...commits.values()].map((c) => ({ ...c, leaderEpoch: -1 })) })
    } catch (error) {
      if (protocolCodes(error).some((code) => LOST_PARTITION.has(code))) return
      throw translateError(error, this.#wiring.context('acknowledge', [...new Set([...commits.values()].map((c) => c.topic))].join(',')))
    }
  }

  async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    await this.#wiring.deadLetter(delivery, {
      ...delivery.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.topic]: delivery.topic,
      [DEAD_LETTER_HEADERS.partition]: String(delivery.partition),
      [DEAD_LETTER_HEADERS.offset]: delivery.offset.toString(),
      [DEAD_LETTER_HEADERS.group]: this.#options.group,
    })
    await this.acknowledge([delivery])
  }

  // A forced close leaves without waiting for in-flight requests; its own failure adds nothing.
  #forceClose(): Promise<void> {
    return new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()))
  }

  async close(): Promise<void> {
    if (this.#finished) return
    this.#finished = true
    this.#signal()
    try {
      // A consumer closed under its join goes on joining, or opens a stream, by itself: let start() finish first.
      // When start() failed, it closed the consumer already.
      if ((await this.#starting?.then(() => true, () => false)) === false) return
      await this.#stream?.close()
      // Leaving first also stops a rejoin under way (after a failed heartbeat): close() alone leaves it
      // retrying on the closed connections for seconds, to end with an 'error' wherever the process is then.
      await this.#consumer.leaveGroup()
      await this.#consumer.close()
    } catch (error) {
      await this.#forceClose()
      throw translateError(error, this.#wiring.context('close', this.#options.topics.join(',')))
    } finally {
      this.#wiring.closed(this)
    }
  }
}
