import { describe, expect, it } from '@jest/globals'
import type { EventStoreDBClient } from '@eventstore/db-client'
import type { RecordedEvent } from '@eventfold/core'
import type { CompetingDelivery } from '@eventfold/projections/spi'
import { PersistentProjectionConsumer, type PersistentProjectionConsumerOptions } from './persistent-projection-consumer'
import type { PersistentSubscriptionFeed } from './persistent-subscription-source'

/** The group's side of a feed, in memory: what was delivered, acknowledged and parked, with a promise per awaited moment. */
class Feed implements PersistentSubscriptionFeed {
  readonly acked: bigint[] = []
  readonly parked: { position: bigint; message: string; attempts: number }[] = []
  private readonly queue: CompetingDelivery[] = []
  private wakeReader: (() => void) | undefined
  private ended = false
  private watchers: { holds: () => boolean; resolve: () => void }[] = []

  deliver(...positions: number[]): void {
    for (const n of positions) {
      const event = { type: 'Deposited', data: { n }, metadata: {}, streamId: 'Account-1', revision: BigInt(n - 1), position: BigInt(n) } as unknown as RecordedEvent
      this.queue.push({
        event,
        ack: async () => this.changed(() => this.acked.push(event.position)),
        park: async (error, attempts) => this.changed(() => this.parked.push({ position: event.position, message: (error as Error).message, attempts })),
      })
    }
    this.wakeReader?.()
  }

  /** Resolves once `holds()` is true. */
  until(holds: () => boolean): Promise<void> {
    return holds() ? Promise.resolve() : new Promise((resolve) => this.watchers.push({ holds, resolve }))
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CompetingDelivery> {
    for (;;) {
      const next = this.queue.shift()
      if (next) yield next
      else if (this.ended) return
      else await new Promise<void>((resolve) => (this.wakeReader = resolve))
    }
  }

  /** Joins again after a close. */
  open(): this {
    this.ended = false
    return this
  }

  end(): void {
    this.ended = true
    this.wakeReader?.()
  }

  async close(): Promise<void> {
    this.end()
  }

  private changed(change: () => void): void {
    change()
    this.watchers = this.watchers.filter((w) => !(w.holds() && (w.resolve(), true)))
  }
}

/** The consumer over an in-memory feed instead of the server's: its policy is what is under test. */
const consumerOn = (feed: Feed, options: Omit<PersistentProjectionConsumerOptions, 'group'>) => {
  const consumer = new PersistentProjectionConsumer({} as EventStoreDBClient, { group: 'g', ...options })
  consumer.subscribe = () => feed.open()
  return consumer
}

describe('PersistentProjectionConsumer policy, on the worker engine', () => {
  it('retries a failing event with backoff before any later event of the feed, and acknowledges each event once', async () => {
    const feed = new Feed()
    const calls: bigint[] = []
    let failures = 2
    const consumer = consumerOn(feed, {
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      handle: (e) => {
        calls.push(e.position)
        if (e.position === 2n && failures-- > 0) throw new Error('not yet')
      },
    })
    const running = consumer.run()

    feed.deliver(1, 2, 3)
    await feed.until(() => feed.acked.length === 3)
    await consumer.stop()
    await running

    expect(calls).toEqual([1n, 2n, 2n, 2n, 3n])
    expect(feed.acked).toEqual([1n, 2n, 3n])
    expect(consumer.status).toMatchObject({ handled: 3, retried: 2 })
  })

  it('parks an event after its last attempt, with its error and attempts, and goes on with the next', async () => {
    const feed = new Feed()
    const consumer = consumerOn(feed, {
      maxAttempts: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      handle: (e) => {
        if (e.position === 1n) throw new Error('poison')
      },
    })
    const running = consumer.run()

    feed.deliver(1, 2)
    await feed.until(() => feed.acked.length === 1)
    await consumer.stop()
    await running

    expect(feed.parked).toEqual([{ position: 1n, message: 'poison', attempts: 2 }])
    expect(feed.acked).toEqual([2n])
    expect(consumer.status).toMatchObject({ handled: 1, retried: 1 })
  })

  it('leaves an event being retried unacknowledged and unparked when stopped, without calling its handler again', async () => {
    const feed = new Feed()
    let calls = 0
    let failed!: () => void
    const firstFailure = new Promise<void>((resolve) => (failed = resolve))
    const consumer = consumerOn(feed, {
      maxAttempts: 3,
      // Far longer than the test: only the stop can end this backoff.
      retry: { initialDelayMs: 600_000, maxDelayMs: 600_000 },
      handle: () => {
        calls++
        failed()
        throw new Error('down')
      },
    })
    const running = consumer.run()

    feed.deliver(1)
    await firstFailure
    await consumer.stop()
    await running

    expect(calls).toBe(1)
    expect(feed.acked).toEqual([])
    expect(feed.parked).toEqual([])
  })

  it('counts over several runs, and runs again after a stop', async () => {
    const feed = new Feed()
    const consumer = consumerOn(feed, { handle: () => undefined })
    for (const n of [1, 2]) {
      const running = consumer.run()
      feed.deliver(n)
      await feed.until(() => feed.acked.length === n)
      await consumer.stop()
      await running
    }

    expect(consumer.status).toMatchObject({ handled: 2, retried: 0, skipped: 0, parked: 0 })
  })
})
