import type { PartitionLag, Subscription, TopicSpec, Transport, TransportMessage } from '../transport/transport'

/** One message as published, with its topic. */
export interface Published extends TransportMessage {
  readonly topic: string
}

/**
 * A transport that only records what it is asked to publish, for tests of
 * the producer side; `beforePublish` may throw to play a broker failure.
 */
export class RecordingTransport implements Transport {
  readonly name = 'recording'
  readonly declared: TopicSpec[] = []
  readonly published: Published[] = []
  private readonly waiters: { count: number; resolve: () => void }[] = []

  constructor(private readonly beforePublish?: (topic: string, messages: readonly TransportMessage[]) => void) {}

  async declare(topic: TopicSpec): Promise<void> {
    this.declared.push(topic)
  }

  async publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    this.beforePublish?.(topic, messages)
    for (const m of messages) this.published.push({ ...m, topic })
    for (const w of this.waiters.filter((w) => this.published.length >= w.count)) w.resolve()
  }

  /** Resolves once `count` messages (duplicates included) were published. */
  publishedCount(count: number): Promise<void> {
    if (this.published.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  subscribe(): Promise<Subscription> {
    throw new Error('RecordingTransport only records publishes')
  }

  async lag(): Promise<readonly PartitionLag[]> {
    return []
  }

  async close(): Promise<void> {}
}
