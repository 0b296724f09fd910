import type { EventFilter, EventStore, RecordedEvent, Subscription } from '@eventfold/core'
import { deadLetterEvent, deadLetterFromDocument, parkWrite, type DeadLetter } from '../dead-letters/dead-letters'
import type { CompetingConsumerSource, CompetingDelivery, CompetingSubscription } from '../worker/competing-consumer-source'
import { fnv1a } from '../projection/partition'

/** Options of {@link PinnedCompetingSource}. */
export interface PinnedCompetingSourceOptions {
  /** The group's name. @default 'pinned' */
  readonly name?: string
  /** The events the group hands out. @default every event */
  readonly filter?: EventFilter
  /** Buckets the stream ids hash into; a bucket belongs to one consumer at a time. @default 16 */
  readonly buckets?: number
  /** Deliveries one consumer holds unacknowledged at most. @default 50 */
  readonly bufferSize?: number
  /** The projection its dead letters name. @default the group's name */
  readonly projection?: string
  /** The generation its dead letters name. @default 1 */
  readonly generation?: number
}

interface Entry {
  readonly event: RecordedEvent
  readonly bucket: number
}

interface Bucket {
  owner: Member | undefined
  readonly queue: Entry[]
  /** Entries of this bucket its owner holds unacknowledged. */
  inFlight: number
}

class Member {
  /** Unacknowledged entries, in the order they were delivered. */
  readonly inFlight = new Set<Entry>()
  /** Deliveries not yet taken by the consumer. */
  inbox: CompetingDelivery[] = []
  left = false
  private wakeUp: (() => void) | undefined

  constructor(readonly name: string) {}

  wait(): Promise<void> {
    return new Promise((resolve) => (this.wakeUp = resolve))
  }

  wake(): void {
    const wake = this.wakeUp
    this.wakeUp = undefined
    wake?.()
  }
}

/**
 * An in-process consumer group for tests of a {@link CompetingConsumerWorker}:
 * it reads a log (`subscribeToAll` of an event store) and hands its events to
 * the consumers that joined, pinned by stream like EventStoreDB's `Pinned`
 * strategy: a stream id hashes to a bucket, a bucket belongs to one consumer.
 *
 * Delivery is at least once. A consumer that leaves ({@link crash}, or its
 * subscription closed) has its unacknowledged events put back at the front of
 * their buckets, and its buckets handed to the others: they get those events
 * again, in stream order; acknowledgements it sends afterwards are ignored,
 * as a dead process's would be. A consumer that joins takes a fair share of
 * the buckets that have nothing in flight. Parked events are kept as
 * {@link DeadLetter}s.
 * @example
 * ```ts
 * const group = new PinnedCompetingSource(eventStore, { filter: projectionFilter(projection) })
 * const workers = ['a', 'b'].map((name) => new CompetingConsumerWorker(group.consumer(name), { documents, projection }))
 * const running = workers.map((w) => w.run())
 * await group.settled()
 * ```
 */
export class PinnedCompetingSource implements CompetingConsumerSource {
  readonly name: string
  private readonly bufferSize: number
  private readonly buckets: Bucket[]
  private readonly members = new Map<string, Member>()
  private readonly letters: DeadLetter[] = []
  private subscription: Subscription | undefined
  private pumping: Promise<void> | undefined
  private failure: { error: unknown } | undefined
  /** Events read and not yet acknowledged or parked. */
  private outstanding = 0
  /** How far the log has been read. */
  private scanned = -1n
  private readonly waiters: Array<{ readonly head: bigint; readonly resolve: () => void; readonly reject: (e: unknown) => void }> = []
  private cursor = 0
  private counters = { deliveries: 0, redeliveries: 0, acked: 0, parked: 0 }

  constructor(
    private readonly eventStore: EventStore,
    private readonly options: PinnedCompetingSourceOptions = {},
  ) {
    const { name = 'pinned', buckets = 16, bufferSize = 50 } = options
    this.name = name
    this.bufferSize = bufferSize
    this.buckets = Array.from({ length: buckets }, () => ({ owner: undefined, queue: [], inFlight: 0 }))
  }

  /** Counters so far: deliveries (redeliveries included), redeliveries, acknowledged and parked events. */
  get status(): { readonly deliveries: number; readonly redeliveries: number; readonly acked: number; readonly parked: number } {
    return { ...this.counters }
  }

  /** The buckets a consumer holds now. */
  bucketsOf(consumer: string): number[] {
    const member = this.members.get(consumer)
    return this.buckets.flatMap((b, i) => (member && b.owner === member ? [i] : []))
  }

  /** The source one worker uses: its `subscribe()` joins the group as `consumer`. */
  consumer(consumer: string): CompetingConsumerSource {
    return { name: this.name, subscribe: () => this.join(consumer), deadLetters: () => this.deadLetters() }
  }

  /** Joins the group under a generated name. */
  subscribe(): CompetingSubscription {
    return this.join(`consumer-${this.members.size + 1}-${Math.random().toString(36).slice(2, 8)}`)
  }

  async *deadLetters(): AsyncIterable<DeadLetter> {
    yield* [...this.letters]
  }

  /**
   * Drops a consumer at once, as if its process died: its unacknowledged
   * events and its buckets go to the other consumers, its iteration ends,
   * and whatever it acknowledges or parks from now on is ignored.
   */
  crash(consumer: string): void {
    const member = this.members.get(consumer)
    if (member) this.leave(member)
  }

  /**
   * Resolves once every event in the log when it is called has been read,
   * and every event read has been acknowledged or parked.
   * @throws what the log's subscription failed with.
   */
  async settled(): Promise<void> {
    const head = (await this.eventStore.headPosition()) ?? -1n
    this.pumping ??= this.pump()
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ head, resolve, reject })
      this.check()
    })
  }

  /**
   * Sends the parked events to the group again, after what is queued in
   * their buckets (EventStoreDB's replay of parked messages); they are no
   * longer dead letters.
   */
  replayParked(): void {
    for (const letter of this.letters.splice(0)) this.enqueue(deadLetterEvent(letter))
    this.dispatch()
  }

  /** Stops reading the log and ends every consumer's iteration. */
  async close(): Promise<void> {
    for (const member of [...this.members.values()]) this.leave(member)
    await this.subscription?.close()
    await this.pumping
  }

  private join(name: string): CompetingSubscription {
    if (this.members.has(name)) throw new Error(`Consumer '${name}' is already in group '${this.name}'`)
    const member = new Member(name)
    this.members.set(name, member)
    for (const bucket of this.buckets) bucket.owner ??= member
    this.rebalance(member)
    this.pumping ??= this.pump()
    this.dispatch()
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<CompetingDelivery>> => {
          for (;;) {
            if (member.left) return { done: true, value: undefined }
            const delivery = member.inbox.shift()
            if (delivery) return { done: false, value: delivery }
            await member.wait()
          }
        },
      }),
      close: async () => this.leave(member),
    }
  }

  /** Gives a newcomer buckets with nothing in flight, from the consumers holding the most, up to a fair share. */
  private rebalance(newcomer: Member): void {
    const share = Math.floor(this.buckets.length / this.members.size)
    const held = (m: Member) => this.buckets.filter((b) => b.owner === m).length
    while (held(newcomer) < share) {
      const donors = [...this.members.values()].filter((m) => m !== newcomer).sort((a, b) => held(b) - held(a))
      const bucket = donors.length > 0 ? this.buckets.find((b) => b.owner === donors[0] && b.inFlight === 0) : undefined
      if (!bucket || held(donors[0]!) <= share) return
      bucket.owner = newcomer
    }
  }

  private leave(member: Member): void {
    if (member.left) return
    member.left = true
    this.members.delete(member.name)
    // Back to the front of their buckets, in the order they were delivered: stream order.
    const back = [...member.inFlight]
    for (let i = back.length - 1; i >= 0; i--) {
      const bucket = this.buckets[back[i]!.bucket]!
      bucket.queue.unshift(back[i]!)
      bucket.inFlight--
    }
    this.counters.redeliveries += back.length
    member.inFlight.clear()
    member.inbox = []
    const others = [...this.members.values()]
    let next = 0
    for (const bucket of this.buckets) {
      if (bucket.owner === member) bucket.owner = others.length > 0 ? others[next++ % others.length] : undefined
    }
    member.wake()
    this.dispatch()
  }

  private async pump(): Promise<void> {
    const { filter } = this.options
    this.subscription = this.eventStore.subscribeToAll({
      fromPosition: 'start',
      ...(filter ? { filter } : {}),
      onCaughtUp: (position) => {
        if (position !== undefined && position > this.scanned) this.scanned = position
        this.check()
      },
    })
    try {
      for await (const event of this.subscription) {
        this.enqueue(event)
        if (event.position > this.scanned) this.scanned = event.position
        this.dispatch()
      }
    } catch (error) {
      this.failure = { error }
      this.check()
    }
  }

  private enqueue(event: RecordedEvent): void {
    const bucket = fnv1a(event.streamId) % this.buckets.length
    this.buckets[bucket]!.queue.push({ event, bucket })
    this.outstanding++
  }

  /** Hands queued events to the owners of their buckets, up to each owner's buffer. */
  private dispatch(): void {
    const n = this.buckets.length
    // A rotating start, so that low buckets do not always fill the buffers first.
    const start = this.cursor++ % n
    for (let k = 0; k < n; k++) {
      const bucket = this.buckets[(start + k) % n]!
      const owner = bucket.owner
      if (!owner) continue
      while (bucket.queue.length > 0 && owner.inFlight.size < this.bufferSize) {
        const entry = bucket.queue.shift()!
        owner.inFlight.add(entry)
        bucket.inFlight++
        owner.inbox.push(this.delivery(entry, owner))
        this.counters.deliveries++
      }
      owner.wake()
    }
  }

  private delivery(entry: Entry, member: Member): CompetingDelivery {
    return {
      event: entry.event,
      ack: async () => {
        if (this.settle(entry, member)) this.counters.acked++
      },
      park: async (error, attempts) => {
        if (!this.settle(entry, member)) return
        const { projection = this.name, generation = 1 } = this.options
        const write = parkWrite(projection, `pinned:${this.name}`, generation, entry.event, error, attempts)
        if (write.kind !== 'put') return
        this.letters.push(deadLetterFromDocument(write.doc))
        this.counters.parked++
      },
    }
  }

  /** Done with an entry; false when `member` no longer holds it (it left: the entry went to another). */
  private settle(entry: Entry, member: Member): boolean {
    if (member.left || !member.inFlight.delete(entry)) return false
    this.buckets[entry.bucket]!.inFlight--
    this.outstanding--
    this.dispatch()
    this.check()
    return true
  }

  private check(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!
      if (this.failure) waiter.reject(this.failure.error)
      else if (this.outstanding > 0 || this.scanned < waiter.head) continue
      else waiter.resolve()
      this.waiters.splice(i, 1)
    }
  }
}
