import { afterAll, beforeAll, expect, it, jest } from '@jest/globals'
import { TopicMismatchError, UnknownTopicError } from '@eventfold/messaging'
import type { Delivery, Subscription, TransportMessage } from '@eventfold/messaging/spi'
import { DEAD_LETTER_HEADERS, KafkaTransport, deadLetterTopic } from '../index'
import { describeKafka, freshName, kafkaBrokers } from '../testing/connect'

const text = new TextEncoder()
const message = (key: string, n: number, headers: Record<string, string> = {}): TransportMessage => ({
  id: `${key}-${n}`,
  key,
  headers: { 'ef-id': `${key}-${n}`, ...headers },
  value: text.encode(JSON.stringify({ key, n })),
})

/** Reads until `count` deliveries arrived (acknowledging none), failing after `timeoutMs`. */
const readCount = async (subscription: Subscription, count: number, timeoutMs = 30_000): Promise<Delivery[]> => {
  const out: Delivery[] = []
  const deadline = Date.now() + timeoutMs
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`read ${out.length} of ${count} deliveries in ${timeoutMs} ms`)
    let timer: NodeJS.Timeout | undefined
    const wake = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
    })
    out.push(...(await subscription.read(count - out.length, 50, wake)))
    clearTimeout(timer)
  }
  return out
}

// A group's first join and a rebalance take seconds on a loaded machine: more room than jest's default.
jest.setTimeout(90_000)

describeKafka('KafkaTransport on a real broker', () => {
  const transport = new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })

  beforeAll(async () => {
    await transport.declare({ name: freshName('warmup') })
  })
  afterAll(async () => {
    await transport.close()
  })

  it('delivers published messages to a group from the earliest offset, in order per key', async () => {
    const topic = freshName('order')
    await transport.declare({ name: topic, partitions: 3 })
    const sent = ['a', 'b', 'c', 'd'].flatMap((key) => Array.from({ length: 5 }, (_, n) => message(key, n)))
    await transport.publish(topic, sent)
    const subscription = await transport.subscribe({ group: freshName('group'), topics: [topic] })
    const got = await readCount(subscription, sent.length)
    await subscription.acknowledge(got)
    await subscription.close()
    for (const key of ['a', 'b', 'c', 'd']) {
      const ofKey = got.filter((d) => d.key === key)
      expect(ofKey.map((d) => d.id)).toEqual([0, 1, 2, 3, 4].map((n) => `${key}-${n}`))
      expect(new Set(ofKey.map((d) => d.partition)).size).toBe(1)
    }
    expect(got.every((d) => !d.redelivered && d.topic === topic)).toBe(true)
  })

  it('refuses a declaration that contradicts the existing topic', async () => {
    const topic = freshName('mismatch')
    await transport.declare({ name: topic, partitions: 2 })
    await transport.declare({ name: topic, partitions: 2 })
    await expect(transport.declare({ name: topic, partitions: 3 })).rejects.toBeInstanceOf(TopicMismatchError)
    await expect(transport.declare({ name: topic, partitions: 3 })).rejects.toMatchObject({ topic, setting: 'partitions', declared: '3', actual: '2' })
    await expect(transport.declare({ name: topic, partitions: 2, compacted: true })).rejects.toMatchObject({ topic, setting: 'compaction' })
  })

  it('fails a publish, a subscription and a lag query on a topic nobody declared with an error naming it', async () => {
    const topic = freshName('undeclared')
    await expect(transport.publish(topic, [message('k', 0)])).rejects.toMatchObject({ type: 'UnknownTopicError', topic })
    await expect(transport.publish(topic, [message('k', 0)])).rejects.toBeInstanceOf(UnknownTopicError)
    await expect(transport.subscribe({ group: freshName('group'), topics: [topic] })).rejects.toMatchObject({ type: 'UnknownTopicError', topic })
    await expect(transport.lag(freshName('group'), [topic])).rejects.toMatchObject({ type: 'UnknownTopicError', topic })
  })

  it('lets another client use a topic as soon as declare resolved', async () => {
    const other = new KafkaTransport(kafkaBrokers())
    try {
      for (let i = 0; i < 5; i++) {
        const topic = freshName('visible')
        await transport.declare({ name: topic, partitions: 3 })
        await expect(other.publish(topic, [message('k', 0)])).resolves.toBeUndefined()
      }
    } finally {
      await other.close()
    }
  })

  it('commits only past handled deliveries: an unacknowledged one comes again to the next member', async () => {
    const topic = freshName('ack')
    const group = freshName('group')
    await transport.declare({ name: topic })
    await transport.publish(topic, [0, 1, 2, 3].map((n) => message('k', n)))
    const first = await transport.subscribe({ group, topics: [topic] })
    const got = await readCount(first, 4)
    // 1 is not handled: the group may not move past it even though 2 and 3 were.
    await first.acknowledge([got[0]!, got[2]!, got[3]!])
    expect(await transport.lag(group, [topic])).toEqual([{ topic, partition: 0, committed: 1n, end: 4n, lag: 3n }])
    await first.close()
    const second = await transport.subscribe({ group, topics: [topic] })
    const again = await readCount(second, 3)
    expect(again.map((d) => d.id)).toEqual(['k-1', 'k-2', 'k-3'])
    await second.acknowledge(again)
    expect(await transport.lag(group, [topic])).toEqual([{ topic, partition: 0, committed: 4n, end: 4n, lag: 0n }])
    await second.close()
  })

  it('reports lag per partition before and after a group acknowledges', async () => {
    const topic = freshName('lag')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 2 })
    await transport.publish(topic, [message('x', 0), message('x', 1), message('y', 0)])
    const before = await transport.lag(group, [topic])
    expect(before.map((p) => p.committed)).toEqual([undefined, undefined])
    expect(before.reduce((sum, p) => sum + p.lag, 0n)).toBe(3n)
    const subscription = await transport.subscribe({ group, topics: [topic] })
    await subscription.acknowledge(await readCount(subscription, 3))
    const after = await transport.lag(group, [topic])
    expect(after.every((p) => p.lag === 0n && (p.end === 0n || p.committed === p.end))).toBe(true)
    await subscription.close()
  })

  it('dead-letters a delivery with its reason and moves past it', async () => {
    const topic = freshName('poison')
    const group = freshName('group')
    await transport.declare({ name: topic })
    await transport.publish(topic, [message('k', 0), message('k', 1)])
    const subscription = await transport.subscribe({ group, topics: [topic] })
    const [poison, good] = await readCount(subscription, 2)
    await subscription.deadLetter(poison!, 'handler threw: boom')
    await subscription.acknowledge([good!])
    expect((await transport.lag(group, [topic]))[0]).toMatchObject({ committed: 2n, lag: 0n })
    await subscription.close()

    const parked = await transport.subscribe({ group: freshName('inspect'), topics: [deadLetterTopic(topic, group)] })
    const [letter] = await readCount(parked, 1)
    expect(letter).toMatchObject({ id: 'k-0', key: 'k', value: poison!.value })
    expect(letter!.headers).toMatchObject({
      'ef-id': 'k-0',
      [DEAD_LETTER_HEADERS.reason]: 'handler threw: boom',
      [DEAD_LETTER_HEADERS.topic]: topic,
      [DEAD_LETTER_HEADERS.partition]: '0',
      [DEAD_LETTER_HEADERS.offset]: '0',
      [DEAD_LETTER_HEADERS.group]: group,
    })
    await parked.close()
  })

  it('lets a new consumer group replay the whole history from the earliest offset', async () => {
    const topic = freshName('replay')
    await transport.declare({ name: topic, partitions: 3, retentionMs: 'forever' })
    const history = Array.from({ length: 300 }, (_, n) => message(`stream-${n % 7}`, n))
    await transport.publish(topic, history.slice(0, 150))
    const live = await transport.subscribe({ group: freshName('live'), topics: [topic] })
    await live.acknowledge(await readCount(live, 150))
    await transport.publish(topic, history.slice(150))
    await live.acknowledge(await readCount(live, 150))
    await live.close()

    const newcomer = await transport.subscribe({ group: freshName('newcomer'), topics: [topic] })
    const replayed = await readCount(newcomer, history.length)
    await newcomer.close()
    expect(new Set(replayed.map((d) => d.id))).toEqual(new Set(history.map((m) => m.id)))
    for (let s = 0; s < 7; s++) {
      const ids = replayed.filter((d) => d.key === `stream-${s}`).map((d) => Number(d.id.split('-')[2]))
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    }
  })

  it('starts a new group at the end when asked for the latest messages only', async () => {
    const topic = freshName('latest')
    await transport.declare({ name: topic })
    await transport.publish(topic, [message('old', 0)])
    const subscription = await transport.subscribe({ group: freshName('group'), topics: [topic], from: 'latest' })
    await transport.publish(topic, [message('new', 0)])
    const [first] = await readCount(subscription, 1)
    expect(first!.id).toBe('new-0')
    await subscription.close()
  })

  it('returns what arrived when woken, and loses nothing to the wake', async () => {
    const topic = freshName('wake')
    await transport.declare({ name: topic })
    const subscription = await transport.subscribe({ group: freshName('group'), topics: [topic] })
    await expect(subscription.read(10, 50, Promise.resolve())).resolves.toEqual([])
    await transport.publish(topic, [message('k', 0)])
    const [got] = await readCount(subscription, 1)
    expect(got!.id).toBe('k-0')
    await subscription.close()
    expect(subscription.finished).toBe(true)
  })
})
