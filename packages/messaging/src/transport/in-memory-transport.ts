import { partitionOfKey } from '@eventfold/projections/spi'
import { TopicMismatchError, UnknownTopicError } from '../errors'
import { DEAD_LETTER_REASON_HEADER, type Delivery, type PartitionLag, type SubscribeOptions, type Subscription, type TopicSpec, type Transport, type TransportMessage } from './transport'

/** Where the in-memory transport puts a group's dead letters for a topic. */
export const inMemoryDeadLetterTopic = (group: string, topic: string): string => `${group}.${topic}.dead-letter`

interface Topic {
  readonly spec: Required<TopicSpec>
  readonly partitions: TransportMessage[][]
}

interface Group {
  readonly members: Member[]
  /** `topic/partition` → the offset the group resumes from. */
  readonly committed: Map<string, bigint>
  /** `topic/partition` → offsets above `committed` already acknowledged. */
  readonly acked: Map<string, Set<bigint>>
  /** `topic/partition` → the highest offset ever handed out, to flag redeliveries. */
  readonly delivered: Map<string, bigint>
  readonly from: 'earliest' | 'latest'
}

const slot = (topic: string, partition: number): string => `${topic}/${partition}`

/**
 * A {@link Transport} in one process's memory, with Kafka's semantics:
 * partitions by key, consumer groups sharing partitions, offsets committed
 * through the highest contiguous acknowledgement. For unit tests and samples
 * in one process; it keeps everything and survives nothing.
 */
export class InMemoryTransport implements Transport {
  readonly name = 'memory'
  private readonly broker = new Broker(this.name)

  declare(spec: TopicSpec): Promise<void> {
    return this.broker.declare(spec)
  }

  publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    return this.broker.publish(topic, messages)
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.broker.subscribe(options)
  }

  lag(group: string, topics: readonly string[]): Promise<readonly PartitionLag[]> {
    return this.broker.lag(group, topics)
  }

  close(): Promise<void> {
    return this.broker.close()
  }
}

class Broker {
  private readonly topics = new Map<string, Topic>()
  private readonly groups = new Map<string, Group>()
  private waiters = new Set<() => void>()
  private closed = false

  constructor(private readonly name: string) {}

  async declare(spec: TopicSpec): Promise<void> {
    const wanted: Required<TopicSpec> = { partitions: 1, retentionMs: 'forever', compacted: false, ...spec }
    if (!Number.isSafeInteger(wanted.partitions) || wanted.partitions < 1) throw new RangeError(`topic '${spec.name}': partitions must be a positive integer, got ${wanted.partitions}`)
    const existing = this.topics.get(spec.name)
    if (existing === undefined) {
      this.topics.set(spec.name, { spec: wanted, partitions: Array.from({ length: wanted.partitions }, () => []) })
      return
    }
    if (existing.spec.partitions !== wanted.partitions)
      throw new TopicMismatchError(spec.name, 'partitions', String(wanted.partitions), String(existing.spec.partitions))
    if (existing.spec.compacted !== wanted.compacted)
      throw new TopicMismatchError(spec.name, 'compaction', String(wanted.compacted), String(existing.spec.compacted))
  }

  async publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    const t = this.topicOf(topic)
    for (const message of messages) t.partitions[partitionOfKey(message.key, t.spec.partitions)]!.push(copy(message))
    if (messages.length > 0) this.notify()
  }

  async subscribe({ group, topics, from = 'earliest' }: SubscribeOptions): Promise<Subscription> {
    for (const topic of topics) this.topicOf(topic)
    let g = this.groups.get(group)
    if (g === undefined) {
      g = { members: [], committed: new Map(), acked: new Map(), delivered: new Map(), from }
      this.groups.set(group, g)
    }
    const member = new Member(this, group, g, topics)
    g.members.push(member)
    this.rebalance(g)
    return member
  }

  async lag(group: string, topics: readonly string[]): Promise<readonly PartitionLag[]> {
    const g = this.groups.get(group)
    return topics.flatMap((topic) =>
      this.topicOf(topic).partitions.map((messages, partition) => {
        const committed = g?.committed.get(slot(topic, partition))
        const end = BigInt(messages.length)
        return { topic, partition, committed, end, lag: end - (committed ?? 0n) }
      }),
    )
  }

  async close(): Promise<void> {
    this.closed = true
    for (const g of this.groups.values()) for (const m of [...g.members]) await m.close()
    this.notify()
  }

  topicOf(name: string): Topic {
    if (this.closed) throw new Error('the in-memory transport is closed')
    const topic = this.topics.get(name)
    if (topic === undefined) throw new UnknownTopicError(this.name, name)
    return topic
  }

  /** Spreads the partitions of the group's topics over its members, round-robin. */
  rebalance(g: Group): void {
    const slots = new Set<string>()
    for (const m of g.members) for (const topic of m.topics) this.topicOf(topic).partitions.forEach((_, p) => slots.add(slot(topic, p)))
    const sorted = [...slots].sort()
    for (const m of g.members) m.assign([])
    sorted.forEach((s, i) => {
      const owners = g.members.filter((m) => m.topics.includes(s.slice(0, s.lastIndexOf('/'))))
      if (owners.length > 0) owners[i % owners.length]!.own(s)
    })
    this.notify()
  }

  /** Resolves on the next publish, rebalance or close. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve))
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = new Set()
    for (const wake of waiters) wake()
  }
}

class Member implements Subscription {
  finished = false
  /** `topic/partition` → next offset this member reads. */
  private readonly positions = new Map<string, bigint>()

  constructor(
    private readonly transport: Broker,
    private readonly group: string,
    private readonly g: Group,
    readonly topics: readonly string[],
  ) {}

  assign(slots: readonly string[]): void {
    this.positions.clear()
    for (const s of slots) this.own(s)
  }

  own(s: string): void {
    const [topic, partition] = [s.slice(0, s.lastIndexOf('/')), Number(s.slice(s.lastIndexOf('/') + 1))]
    const start = this.g.committed.get(s) ?? (this.g.from === 'earliest' ? 0n : BigInt(this.transport.topicOf(topic).partitions[partition]!.length))
    if (!this.g.committed.has(s)) this.g.committed.set(s, start)
    this.positions.set(s, start)
  }

  async read(maxCount: number, _maxWaitMs: number, wake: Promise<void>): Promise<readonly Delivery[]> {
    let woken = false
    void wake.then(() => (woken = true))
    for (;;) {
      if (this.finished) return []
      const batch = this.next(maxCount)
      if (batch.length > 0 || woken) return batch
      await Promise.race([this.transport.changed(), wake])
    }
  }

  private next(maxCount: number): Delivery[] {
    const out: Delivery[] = []
    // One message per partition per round, so no partition starves the others.
    for (let progressed = true; progressed && out.length < maxCount; ) {
      progressed = false
      for (const [s, offset] of this.positions) {
        if (out.length >= maxCount) break
        const topic = s.slice(0, s.lastIndexOf('/'))
        const partition = Number(s.slice(s.lastIndexOf('/') + 1))
        const message = this.transport.topicOf(topic).partitions[partition]![Number(offset)]
        if (message === undefined) continue
        const seen = this.g.delivered.get(s)
        out.push({ ...copy(message), topic, partition, offset, redelivered: seen !== undefined && offset <= seen })
        if (seen === undefined || offset > seen) this.g.delivered.set(s, offset)
        this.positions.set(s, offset + 1n)
        progressed = true
      }
    }
    return out
  }

  async acknowledge(deliveries: readonly Delivery[]): Promise<void> {
    for (const d of deliveries) {
      const s = slot(d.topic, d.partition)
      const acked = this.g.acked.get(s) ?? new Set<bigint>()
      this.g.acked.set(s, acked)
      acked.add(d.offset)
      let committed = this.g.committed.get(s) ?? 0n
      while (acked.delete(committed)) committed++
      this.g.committed.set(s, committed)
    }
  }

  async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    const name = inMemoryDeadLetterTopic(this.group, delivery.topic)
    await this.transport.declare({ name })
    const { id, key, headers, value } = delivery
    await this.transport.publish(name, [{ id, key, value, headers: { ...headers, [DEAD_LETTER_REASON_HEADER]: reason } }])
    await this.acknowledge([delivery])
  }

  async close(): Promise<void> {
    if (this.finished) return
    this.finished = true
    this.g.members.splice(this.g.members.indexOf(this), 1)
    this.transport.rebalance(this.g)
  }
}

const copy = (m: TransportMessage): TransportMessage => ({
  id: m.id,
  key: m.key,
  headers: { ...m.headers },
  value: m.value === null ? null : Uint8Array.from(m.value),
})
