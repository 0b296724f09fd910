import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { TopicMismatchError, UnknownTopicError } from '../errors'
import type { Delivery, Subscription, Transport, TransportMessage } from '../transport/transport'

/** What a {@link transportContract} factory returns: a connected transport, and how to dispose of what it used. */
export interface TransportUnderTest {
  readonly transport: Transport
  /** Runs after the transport was closed. */
  readonly teardown?: () => Promise<void>
}

/** What the transport can do, for the parts of the contract that differ between brokers. */
export interface TransportCapabilities {
  /**
   * A new consumer group can read messages published before it existed
   * (Kafka keeps the log; a RabbitMQ queue only gets what arrives after it was bound).
   */
  readonly replaysHistory: boolean
  /** Compacted topics can be declared. */
  readonly compaction: boolean
}

/** Options of {@link transportContract}. */
export interface TransportContractOptions {
  /** How long a test waits for deliveries before it fails: a guard, not a pacing clock. @default 30000 */
  readonly deadlineMs?: number
}

/**
 * Registers the contract every {@link Transport} must pass as jest tests,
 * against a real broker. The factory runs before each test; each test uses
 * topics and groups whose names start with a random tag, so one broker can
 * serve every test file at once.
 * @example
 * ```ts
 * transportContract('InMemoryTransport', { replaysHistory: true, compaction: true }, async () => ({ transport: new InMemoryTransport() }))
 * ```
 */
export const transportContract = (
  name: string,
  capabilities: TransportCapabilities,
  factory: () => Promise<TransportUnderTest>,
  { deadlineMs = 30_000 }: TransportContractOptions = {},
): void => {
  describe(`${name} (transport contract)`, () => {
    let subject: TransportUnderTest
    let transport: Transport
    let tag: string
    const open: Subscription[] = []

    beforeEach(async () => {
      subject = await factory()
      transport = subject.transport
      tag = `ef-${randomBytes(4).toString('hex')}`
    })

    afterEach(async () => {
      // Everything is closed, one after the other, even when a close fails, so that no client outlives the test; the first failure is reported.
      const closes = [...open.splice(0).map((s) => () => s.close()), () => transport.close(), async () => subject.teardown?.()]
      let failure: unknown
      for (const close of closes) {
        try {
          await close()
        } catch (error) {
          failure ??= error
        }
      }
      if (failure !== undefined) throw failure
    })

    const topicName = (n = 'topic'): string => `${tag}-${n}`
    const subscribe = async (group: string, topics: readonly string[]): Promise<Subscription> => {
      const s = await transport.subscribe({ group: `${tag}-${group}`, topics })
      open.push(s)
      return s
    }
    const message = (key: string, n: number, change: Partial<TransportMessage> = {}): TransportMessage => ({
      id: `${key}:${n}`,
      key,
      headers: { 'ef-n': String(n) },
      value: new TextEncoder().encode(JSON.stringify({ key, n })),
      ...change,
    })

    /** Reads from every member in turn until `count` deliveries arrived, or fails at the deadline. */
    const collect = async (members: readonly Subscription[], count: number, acknowledge = true): Promise<Delivery[][]> => {
      const got: Delivery[][] = members.map(() => [])
      const deadline = Date.now() + deadlineMs
      const total = (): number => got.reduce((n, g) => n + g.length, 0)
      while (total() < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} deliveries, got ${total()} within ${deadlineMs} ms`)
        await Promise.all(
          members.map(async (m, i) => {
            const batch = await m.read(count, 50, new Promise((resolve) => setTimeout(resolve, 200)))
            got[i]!.push(...batch)
            if (acknowledge && batch.length > 0) await m.acknowledge(batch)
          }),
        )
      }
      return got
    }
    /** Reads until the member has nothing more for one quiet round: what it gets must be nothing. */
    const expectNothingMore = async (member: Subscription): Promise<void> => {
      const more = await member.read(100, 50, new Promise((resolve) => setTimeout(resolve, 1000)))
      expect(more.map((d) => d.id)).toEqual([])
    }
    const byKey = (deliveries: readonly Delivery[]): Map<string, number[]> => {
      const keys = new Map<string, number[]>()
      for (const d of deliveries) keys.set(d.key, [...(keys.get(d.key) ?? []), Number(d.headers['ef-n'])])
      return keys
    }

    it('declares a topic once and accepts the same declaration again', async () => {
      await transport.declare({ name: topicName(), partitions: 3 })
      await expect(transport.declare({ name: topicName(), partitions: 3 })).resolves.toBeUndefined()
    })

    it('refuses a declaration that contradicts the existing topic, naming it', async () => {
      await transport.declare({ name: topicName(), partitions: 3 })
      await expect(transport.declare({ name: topicName(), partitions: 5 })).rejects.toThrow(TopicMismatchError)
      await expect(transport.declare({ name: topicName(), partitions: 5 })).rejects.toMatchObject({ topic: topicName() })
    })

    it('refuses to publish to a topic that was never declared, naming it', async () => {
      await expect(transport.publish(topicName('missing'), [message('k', 0)])).rejects.toThrow(UnknownTopicError)
      await expect(transport.publish(topicName('missing'), [message('k', 0)])).rejects.toMatchObject({ topic: topicName('missing') })
    })

    it('delivers what was published: id, key, headers and the exact bytes, including a tombstone', async () => {
      await transport.declare({ name: topicName(), partitions: 2 })
      const member = await subscribe('g', [topicName()])
      const binary = Uint8Array.from([0, 255, 128, 10, 13, 0x7b])
      await transport.publish(topicName(), [message('a', 0, { value: binary, headers: { 'ef-n': '0', 'x-é': 'ünï ✓' } }), message('b', 1, { value: null })])
      const [got] = await collect([member], 2)
      const a = got!.find((d) => d.key === 'a')!
      expect(a).toMatchObject({ id: 'a:0', topic: topicName(), headers: expect.objectContaining({ 'ef-n': '0', 'x-é': 'ünï ✓' }) })
      expect(Buffer.from(a.value!)).toEqual(Buffer.from(binary))
      expect(got!.find((d) => d.key === 'b')!.value).toBeNull()
      for (const d of got!) {
        expect(d.partition).toBeGreaterThanOrEqual(0)
        expect(d.partition).toBeLessThan(2)
        expect(typeof d.offset).toBe('bigint')
      }
    })

    it('keeps the order of each key, and one key in one partition', async () => {
      await transport.declare({ name: topicName(), partitions: 3 })
      const member = await subscribe('g', [topicName()])
      const keys = Array.from({ length: 10 }, (_, k) => `stream-${k}`)
      const messages = Array.from({ length: 200 }, (_, n) => message(keys[n % keys.length]!, n))
      for (let i = 0; i < messages.length; i += 40) await transport.publish(topicName(), messages.slice(i, i + 40))
      const [got] = await collect([member], 200)
      expect(got).toHaveLength(200)
      for (const [key, ns] of byKey(got!)) expect(ns).toEqual(messages.filter((m) => m.key === key).map((m) => Number(m.headers['ef-n'])))
      for (const key of keys) expect(new Set(got!.filter((d) => d.key === key).map((d) => d.partition)).size).toBe(1)
      const offsets = new Map<number, bigint>()
      for (const d of got!) {
        const last = offsets.get(d.partition)
        if (last !== undefined) expect(d.offset).toBeGreaterThan(last)
        offsets.set(d.partition, d.offset)
      }
    })

    it('gives every group every message (fan-out)', async () => {
      await transport.declare({ name: topicName(), partitions: 2 })
      const billing = await subscribe('billing', [topicName()])
      const shipping = await subscribe('shipping', [topicName()])
      await transport.publish(topicName(), Array.from({ length: 20 }, (_, n) => message(`k${n % 4}`, n)))
      const [b] = await collect([billing], 20)
      const [s] = await collect([shipping], 20)
      expect(b!.map((d) => d.id).sort()).toEqual(s!.map((d) => d.id).sort())
      expect(new Set(b!.map((d) => d.id)).size).toBe(20)
    })

    it('shares a group between members: every message handled, each key in order at each member', async () => {
      await transport.declare({ name: topicName(), partitions: 4 })
      const one = await subscribe('g', [topicName()])
      const two = await subscribe('g', [topicName()])
      const messages = Array.from({ length: 80 }, (_, n) => message(`k${n % 16}`, n))
      await transport.publish(topicName(), messages)
      // Delivery is at least once: a rebalance while both join may hand a key over, never lose or reorder it.
      const got = await collect([one, two], 80)
      expect(new Set(got.flat().map((d) => d.id)).size).toBe(80)
      for (const member of got)
        for (const [, ns] of byKey(member)) expect(ns).toEqual([...ns].sort((x, y) => x - y))
    })

    it('delivers again what was not acknowledged, and never what was', async () => {
      await transport.declare({ name: topicName(), partitions: 1 })
      const first = await subscribe('g', [topicName()])
      await transport.publish(topicName(), Array.from({ length: 10 }, (_, n) => message('k', n)))
      const [got] = await collect([first], 10, false)
      await first.acknowledge(got!.slice(0, 4))
      await first.close()
      const second = await subscribe('g', [topicName()])
      const [again] = await collect([second], 6)
      expect(again!.map((d) => d.id)).toEqual(got!.slice(4).map((d) => d.id))
      await expectNothingMore(second)
    })

    it('moves past a dead-lettered message and keeps the rest of its partition flowing', async () => {
      await transport.declare({ name: topicName(), partitions: 1 })
      const member = await subscribe('g', [topicName()])
      await transport.publish(topicName(), Array.from({ length: 5 }, (_, n) => message('k', n)))
      const [got] = await collect([member], 5, false)
      await member.deadLetter(got![1]!, 'handler failed 3 times: boom')
      await member.acknowledge([got![0]!, ...got!.slice(2)])
      await member.close()
      const again = await subscribe('g', [topicName()])
      await expectNothingMore(again)
    })

    it('reports lag per partition: published and not yet acknowledged', async () => {
      await transport.declare({ name: topicName(), partitions: 2 })
      const member = await subscribe('g', [topicName()])
      await transport.publish(topicName(), Array.from({ length: 12 }, (_, n) => message(`k${n % 3}`, n)))
      await collect([member], 12)
      const caughtUp = await transport.lag(`${tag}-g`, [topicName()])
      expect(caughtUp.map((l) => l.partition).sort()).toEqual([0, 1])
      expect(caughtUp.reduce((n, l) => n + l.lag, 0n)).toBe(0n)
      await transport.publish(topicName(), Array.from({ length: 3 }, (_, n) => message(`k${n}`, 12 + n)))
      const behind = await transport.lag(`${tag}-g`, [topicName()])
      expect(behind.reduce((n, l) => n + l.lag, 0n)).toBe(3n)
      for (const l of behind) expect(l.lag).toBe(l.end - (l.committed ?? 0n))
    })

    it('returns from a read with nothing when woken, and loses nothing to the wake', async () => {
      await transport.declare({ name: topicName(), partitions: 1 })
      const member = await subscribe('g', [topicName()])
      let wake!: () => void
      const woken = new Promise<void>((resolve) => (wake = resolve))
      const reading = member.read(10, 60_000, woken)
      wake()
      await expect(reading).resolves.toEqual([])
      await transport.publish(topicName(), [message('k', 0)])
      const [got] = await collect([member], 1)
      expect(got!.map((d) => d.id)).toEqual(['k:0'])
    })

    it('hands out at most maxCount deliveries per read', async () => {
      await transport.declare({ name: topicName(), partitions: 1 })
      const member = await subscribe('g', [topicName()])
      await transport.publish(topicName(), Array.from({ length: 30 }, (_, n) => message('k', n)))
      const seen: Delivery[] = []
      const deadline = Date.now() + deadlineMs
      while (seen.length < 30 && Date.now() < deadline) {
        const batch = await member.read(7, 50, new Promise((resolve) => setTimeout(resolve, 200)))
        expect(batch.length).toBeLessThanOrEqual(7)
        seen.push(...batch)
        await member.acknowledge(batch)
      }
      expect(seen.map((d) => d.id)).toEqual(Array.from({ length: 30 }, (_, n) => `k:${n}`))
    })

    it('is finished after close, and a closed member reads nothing', async () => {
      await transport.declare({ name: topicName(), partitions: 1 })
      const member = await subscribe('g', [topicName()])
      await member.close()
      expect(member.finished).toBe(true)
      await expect(member.read(10, 10, Promise.resolve())).resolves.toEqual([])
    })

    if (capabilities.replaysHistory) {
      it('lets a new group read the whole history from the earliest message', async () => {
        await transport.declare({ name: topicName(), partitions: 3 })
        await transport.publish(topicName(), Array.from({ length: 50 }, (_, n) => message(`k${n % 5}`, n)))
        const live = await subscribe('live', [topicName()])
        const [first] = await collect([live], 50)
        const late = await subscribe('late', [topicName()])
        const [history] = await collect([late], 50)
        expect(history!.map((d) => d.id).sort()).toEqual(first!.map((d) => d.id).sort())
      })
    }

    if (capabilities.compaction) {
      it('declares a compacted topic and refuses to redeclare it uncompacted', async () => {
        await transport.declare({ name: topicName(), partitions: 1, compacted: true })
        await expect(transport.declare({ name: topicName(), partitions: 1, compacted: false })).rejects.toThrow(TopicMismatchError)
      })
    }
  })
}
