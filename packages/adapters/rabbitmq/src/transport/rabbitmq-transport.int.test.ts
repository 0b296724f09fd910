import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, expect, it } from '@jest/globals'
import { TopicMismatchError, UnknownTopicError } from '@eventfold/messaging'
import { partitionOfKey } from '@eventfold/projections/spi'
import type { Delivery, Subscription, TransportMessage } from '@eventfold/messaging/spi'
import amqp from 'amqplib'
import { BrokerRefusedError, BrokerUnreachableError, CompactedTopicUnsupportedError } from '../errors'
import { HEADERS } from './message'
import { deadLetterExchange, parkedQueue, partitionQueue, topicSettingsQueue } from '../topology/names'
import { deleteTopology, describeRabbitMQ, rabbitmqUrl, readCount, uniqueName } from '../test-support/broker'
import { RabbitMQTransport } from './rabbitmq-transport'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const message = (key: string, n: number): TransportMessage => ({
  id: `${key}#${n}`,
  key,
  headers: { 'ef-type': 'Counted.v1', 'ef-n': String(n) },
  value: encoder.encode(JSON.stringify({ key, n })),
})

/** `perKey` messages for each of `keys` keys, interleaved the way a log interleaves streams. */
const messages = (keys: number, perKey: number): TransportMessage[] =>
  Array.from({ length: keys * perKey }, (_, i) => message(`Order-${i % keys}`, Math.floor(i / keys)))

const nOf = (delivery: Delivery): number => Number(delivery.headers['ef-n'])

describeRabbitMQ('RabbitMQ transport', () => {
  const transports: RabbitMQTransport[] = []
  const created = { topics: [] as { name: string; partitions: number }[], groups: [] as string[] }

  const transport = (): RabbitMQTransport => {
    // No rebalancing unless a test asks for it: these tests hold deliveries unacknowledged on purpose.
    const made = new RabbitMQTransport(rabbitmqUrl(), { prefetch: 20, rebalanceIntervalMs: 600_000 })
    transports.push(made)
    return made
  }
  const topic = async (on: RabbitMQTransport, partitions: number): Promise<string> => {
    const name = uniqueName('orders')
    created.topics.push({ name, partitions })
    await on.declare({ name, partitions })
    return name
  }
  const group = (): string => {
    const name = uniqueName('group')
    created.groups.push(name)
    return name
  }

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((made) => made.close()))
    const queues = created.topics.flatMap(({ name, partitions }) => [
      topicSettingsQueue(name),
      ...created.groups.flatMap((g) => Array.from({ length: partitions }, (_, n) => partitionQueue(g, name, n))),
    ])
    await deleteTopology({
      exchanges: [...created.topics.map(({ name }) => name), ...created.groups.map(deadLetterExchange)],
      queues: [...queues, ...created.groups.map(parkedQueue)],
    })
    created.topics = []
    created.groups = []
  })
  afterAll(async () => {
    await Promise.all(transports.map((made) => made.close()))
  })

  it('delivers what was published with its id, key, headers and value, on the partition of its key', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 3)
    const subscription = await transport().subscribe({ group: group(), topics: [orders] })
    const sent = [...messages(4, 2), { id: 'gone', key: 'Order-9', headers: {}, value: null }]
    await publisher.publish(orders, sent)

    const received = await readCount(subscription, sent.length)
    const byId = new Map(received.map((delivery) => [delivery.id, delivery]))
    for (const original of sent) {
      const delivery = byId.get(original.id)!
      expect(delivery).toMatchObject({ id: original.id, key: original.key, headers: original.headers, topic: orders, redelivered: false })
      expect(delivery.value === null ? null : decoder.decode(delivery.value)).toBe(original.value === null ? null : decoder.decode(original.value))
      expect(delivery.partition).toBe(partitionOfKey(original.key, 3))
    }
    await subscription.acknowledge(received)
  })

  it('reads the partition count a topic was declared with from the broker, in another process', async () => {
    const orders = await topic(transport(), 4)
    const other = transport()
    await expect(other.declare({ name: orders, partitions: 4 })).resolves.toBeUndefined()
    const g = group()
    const subscription = await other.subscribe({ group: g, topics: [orders] })
    expect((await other.lag(g, [orders])).map((lag) => lag.partition)).toEqual([0, 1, 2, 3])
    await subscription.close()
  })

  it('refuses a declaration that contradicts the topic on the broker', async () => {
    const orders = await topic(transport(), 2)
    await expect(transport().declare({ name: orders, partitions: 3 })).rejects.toThrow(TopicMismatchError)
    await expect(transport().declare({ name: orders, partitions: 3 })).rejects.toMatchObject({ topic: orders, setting: 'partitions', declared: '3', actual: '2' })
    await expect(transport().declare({ name: orders, partitions: 2, retentionMs: 60_000 })).rejects.toMatchObject({ setting: 'retentionMs', declared: '60000', actual: 'forever' })
  })

  it.each([
    ['no partitions', { partitions: 0 }, 'partitions'],
    ['a fractional retention', { retentionMs: 1.5 }, 'retentionMs'],
  ])('refuses a declaration with %s before touching the broker', async (_name, change, path) => {
    const name = uniqueName('invalid')
    await expect(transport().declare({ name, ...change })).rejects.toMatchObject({ type: 'validation', issues: [{ path }] })
  })

  it('refuses a compacted topic: RabbitMQ keeps no log per key', async () => {
    const name = uniqueName('latest')
    await expect(transport().declare({ name, compacted: true })).rejects.toThrow(CompactedTopicUnsupportedError)
    await expect(transport().declare({ name, compacted: true })).rejects.toMatchObject({ type: 'CompactedTopicUnsupportedError', topic: name })
  })

  it('refuses to publish to or subscribe to a topic nobody declared, naming it', async () => {
    const name = uniqueName('undeclared')
    const on = transport()
    await expect(on.publish(name, [message('Order-1', 0)])).rejects.toMatchObject({ type: 'UnknownTopicError', transport: 'rabbitmq', topic: name })
    await expect(on.subscribe({ group: group(), topics: [name] })).rejects.toThrow(UnknownTopicError)
  })

  it('fails with BrokerUnreachableError, password hidden, when no broker answers', async () => {
    const unreachable = new RabbitMQTransport('amqp://eventfold:secret@127.0.0.1:1')
    transports.push(unreachable)
    await expect(unreachable.declare({ name: uniqueName('nowhere') })).rejects.toThrow(BrokerUnreachableError)
    await expect(unreachable.declare({ name: uniqueName('nowhere') })).rejects.toMatchObject({ url: 'amqp://eventfold:***@127.0.0.1:1' })
  })

  it('fails a publish the broker answers with a negative confirm, naming the exchange', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 1)
    // A queue that refuses every message: RabbitMQ nacks what is routed to it.
    const full = uniqueName('full')
    const connection = await amqp.connect(rabbitmqUrl())
    try {
      const channel = await connection.createChannel()
      await channel.assertQueue(full, { arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } })
      await channel.bindQueue(full, orders, '0')
      await expect(publisher.publish(orders, [message('Order-1', 0)])).rejects.toThrow(BrokerRefusedError)
      await expect(publisher.publish(orders, [message('Order-1', 1)])).rejects.toMatchObject({ operation: 'publish', reason: 'NEGATIVE_CONFIRM', resource: { exchange: orders } })
      await channel.deleteQueue(full)
      await expect(publisher.publish(orders, [message('Order-1', 2)])).resolves.toBeUndefined()
      await channel.close()
    } finally {
      await connection.close()
    }
  })

  it('refuses a message whose headers AMQP cannot carry, naming the message, and keeps publishing', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 1)
    const huge = { ...message('Order-1', 0), headers: { 'ef-n': '0', big: 'x'.repeat(70_000) } }
    await expect(publisher.publish(orders, [huge])).rejects.toMatchObject({ type: 'validation', issues: [{ path: 'headers' }] })
    await expect(publisher.publish(orders, [message('Order-1', 1)])).resolves.toBeUndefined()
  })

  it('gives every group every message, and a new group only what is published after its queues exist', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 2)
    const early = group()
    const first = await transport().subscribe({ group: early, topics: [orders] })
    await publisher.publish(orders, messages(3, 2))

    const late = group()
    const second = await transport().subscribe({ group: late, topics: [orders], from: 'earliest' })
    await publisher.publish(orders, messages(3, 4).slice(6))

    const all = await readCount(first, 12)
    expect(all.map((d) => d.id).sort()).toEqual(messages(3, 4).map((m) => m.id).sort())
    const afterJoining = await readCount(second, 6)
    expect(afterJoining.map((d) => d.id).sort()).toEqual(messages(3, 4).slice(6).map((m) => m.id).sort())
    await first.acknowledge(all)
    await second.acknowledge(afterJoining)
    expect((await publisher.lag(late, [orders])).reduce((sum, lag) => sum + lag.lag, 0n)).toBe(0n)
  })

  it('keeps the order of every key, with growing offsets per partition, across a redelivery', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 3)
    const g = group()
    const first = await transport().subscribe({ group: g, topics: [orders] })
    const second = await transport().subscribe({ group: g, topics: [orders] })
    const sent = messages(10, 20)
    await publisher.publish(orders, sent)

    // The first member handles part of what it got, then leaves with the rest unacknowledged.
    const got = await readCount(first, 60)
    const handled = got.slice(0, 25)
    await first.acknowledge(handled)
    await first.close()

    // The second member acknowledges as it goes: it is sent at most the prefetch per partition ahead.
    const rest: Delivery[] = []
    while (rest.length < sent.length - handled.length) {
      const batch = await readCount(second, 1)
      await second.acknowledge(batch)
      rest.push(...batch)
    }
    expect(rest.filter((d) => d.redelivered).length).toBeGreaterThan(0)
    const seen = [...handled, ...rest]
    for (let k = 0; k < 10; k++) {
      expect(seen.filter((d) => d.key === `Order-${k}`).map(nOf)).toEqual(Array.from({ length: 20 }, (_, n) => n))
    }
    for (let p = 0; p < 3; p++) {
      const offsets = seen.filter((d) => d.partition === p).map((d) => d.offset)
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      expect(new Set(offsets).size).toBe(offsets.length)
    }
    expect((await publisher.lag(g, [orders])).map((lag) => lag.lag)).toEqual([0n, 0n, 0n])
  })

  it('spreads the partitions over the members, each key moving once and staying in order', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 4)
    const g = group()
    const member = (): RabbitMQTransport => {
      const made = new RabbitMQTransport(rabbitmqUrl(), { prefetch: 5, rebalanceIntervalMs: 20 })
      transports.push(made)
      return made
    }
    const first = await member().subscribe({ group: g, topics: [orders] })
    const second = await member().subscribe({ group: g, topics: [orders] })
    const got: [Delivery[], Delivery[]] = [[], []]
    const drain = async (): Promise<void> => {
      await Promise.all(
        [first, second].map(async (m, i) => {
          const batch = await m.read(50, 20, new Promise((resolve) => setTimeout(resolve, 50)))
          got[i]!.push(...batch)
          await m.acknowledge(batch)
        }),
      )
    }
    // Publishes one message per key per round until the second member took its share: two partitions.
    let round = 0
    while (new Set(got[1].map((d) => d.partition)).size < 2) {
      await publisher.publish(orders, Array.from({ length: 16 }, (_, k) => message(`Order-${k}`, round)))
      round++
      await drain()
    }
    while (got[0].length + got[1].length < round * 16) await drain()
    expect(await first.read(50, 20, Promise.resolve())).toEqual([])

    const [a, b] = got
    expect(new Set([...a, ...b].map((d) => d.id)).size).toBe(round * 16)
    expect(a.length + b.length).toBe(round * 16)
    for (let k = 0; k < 16; k++) {
      const ofKey = (ds: Delivery[]): number[] => ds.filter((d) => d.key === `Order-${k}`).map(nOf)
      expect([...ofKey(a), ...ofKey(b)]).toEqual(Array.from({ length: round }, (_, n) => n))
    }
    expect(new Set(b.map((d) => d.partition)).size).toBe(2)
  })

  it('keeps every key in order, each message handed out once, while members join and leave', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 6)
    const g = group()
    const join = async (): Promise<Subscription> => {
      const made = new RabbitMQTransport(rabbitmqUrl(), { prefetch: 5, rebalanceIntervalMs: 10 })
      transports.push(made)
      return made.subscribe({ group: g, topics: [orders] })
    }
    const members = [await join(), await join(), await join()]
    // Appended when a read returns: a key moves only after what its member read was acknowledged.
    const log: Delivery[] = []
    const drain = async (): Promise<void> => {
      await Promise.all(
        members.map(async (m) => {
          const batch = await m.read(50, 10, new Promise((resolve) => setTimeout(resolve, 30)))
          log.push(...batch)
          if (batch.length > 0) await m.acknowledge(batch)
        }),
      )
    }
    const rounds = 30
    for (let round = 0; round < rounds; round++) {
      if (round === 10) await members.splice(1, 1)[0]!.close()
      if (round === 20) members.push(await join())
      await publisher.publish(orders, Array.from({ length: 12 }, (_, k) => message(`Order-${k}`, round)))
      await drain()
    }
    while (log.length < rounds * 12) await drain()

    expect(log).toHaveLength(rounds * 12)
    for (let k = 0; k < 12; k++) {
      expect(log.filter((d) => d.key === `Order-${k}`).map(nOf)).toEqual(Array.from({ length: rounds }, (_, n) => n))
    }
  })

  it('hands the deliveries of a member that closes without acknowledging to another member, marked redelivered', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 2)
    const g = group()
    const first = await transport().subscribe({ group: g, topics: [orders] })
    const second = await transport().subscribe({ group: g, topics: [orders] })
    await publisher.publish(orders, messages(4, 5))

    const unacknowledged = await readCount(first, 20)
    await first.close()
    const again = await readCount(second, 20)
    expect(again.map((d) => d.id).sort()).toEqual(unacknowledged.map((d) => d.id).sort())
    expect(again.every((d) => d.redelivered)).toBe(true)
    expect(again.map((d) => d.offset).sort()).toEqual(unacknowledged.map((d) => d.offset).sort())
    await second.acknowledge(again)
    expect((await publisher.lag(g, [orders])).map((lag) => lag.lag)).toEqual([0n, 0n])
  })

  it('hands the deliveries of a member process killed before it acknowledged to another member, in order per key', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 2)
    const g = group()
    const child = spawn(process.execPath, [join(__dirname, '..', 'test-support', 'crash-member.js'), g, orders, '40'], {
      env: { ...process.env, RABBITMQ_URL: rabbitmqUrl() },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(child, 'exit')
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
      expect((await lines.next()).value).toBe('joined')
      // The child joined first, so it is the active member of every partition; this one waits.
      const standby = await transport().subscribe({ group: g, topics: [orders] })
      await publisher.publish(orders, messages(8, 5))
      const read = (await lines.next()).value as string
      const held = JSON.parse(read.replace(/^read /, '')) as string[]
      expect(held).toHaveLength(40)

      child.kill('SIGKILL')
      await exited
      const again = await readCount(standby, 40)
      expect(again.map((d) => d.id).sort()).toEqual([...held].sort())
      expect(again.every((d) => d.redelivered)).toBe(true)
      for (let k = 0; k < 8; k++) expect(again.filter((d) => d.key === `Order-${k}`).map(nOf)).toEqual([0, 1, 2, 3, 4])
      await standby.acknowledge(again)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })

  it('parks a dead letter with its reason in the group’s parked queue while the rest of its partition flows', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 1)
    const g = group()
    const subscription = await transport().subscribe({ group: g, topics: [orders] })
    await publisher.publish(orders, messages(1, 5))

    const [a, poison, ...rest] = await readCount(subscription, 5)
    await subscription.acknowledge([a!])
    await subscription.deadLetter(poison!, 'handler failed 5 times: amount must be positive')
    await subscription.acknowledge(rest)
    expect(rest.map(nOf)).toEqual([2, 3, 4])
    expect(await publisher.lag(g, [orders])).toEqual([{ topic: orders, partition: 0, committed: undefined, end: 0n, lag: 0n }])

    const connection = await amqp.connect(rabbitmqUrl())
    try {
      const channel = await connection.createChannel()
      const parked = await channel.get(parkedQueue(g), { noAck: true })
      expect(parked).not.toBe(false)
      if (parked === false) return
      expect(parked.properties.messageId).toBe(poison!.id)
      expect(parked.properties.headers).toMatchObject({
        [HEADERS.deadLetterReason]: 'handler failed 5 times: amount must be positive',
        [HEADERS.deadLetterTopic]: orders,
        [HEADERS.deadLetterPartition]: '0',
        [HEADERS.key]: poison!.key,
        [HEADERS.offset]: poison!.offset.toString(),
        'ef-n': '1',
      })
      expect(JSON.parse(parked.content.toString())).toEqual({ key: 'Order-0', n: 1 })
      await channel.close()
    } finally {
      await connection.close()
    }
  })

  it('drops what a group did not consume within the topic’s retention, without parking it', async () => {
    const publisher = transport()
    const name = uniqueName('short')
    created.topics.push({ name, partitions: 1 })
    await publisher.declare({ name, partitions: 1, retentionMs: 1000 })
    const g = group()
    await (await transport().subscribe({ group: g, topics: [name] })).close()
    await publisher.publish(name, messages(1, 3))
    expect((await publisher.lag(g, [name]))[0]!.lag).toBeGreaterThan(0n)
    // Waits for the event itself, the queue emptying; the test's timeout bounds it.
    while ((await publisher.lag(g, [name]))[0]!.lag > 0n) await new Promise((resolve) => setTimeout(resolve, 50))
    const connection = await amqp.connect(rabbitmqUrl())
    try {
      const channel = await connection.createChannel()
      expect((await channel.checkQueue(parkedQueue(g))).messageCount).toBe(0)
      await channel.close()
    } finally {
      await connection.close()
    }
  })

  it('counts as lag what waits in the queue and what a member holds unacknowledged', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 2)
    const g = group()
    const subscription = await publisher.subscribe({ group: g, topics: [orders] })
    await publisher.publish(orders, messages(6, 5))
    const total = async (): Promise<bigint> => (await publisher.lag(g, [orders])).reduce((sum, lag) => sum + lag.lag, 0n)
    expect(await total()).toBe(30n)
    const got = await readCount(subscription, 30)
    await subscription.acknowledge(got.slice(0, 10))
    expect(await total()).toBe(20n)
    await subscription.acknowledge(got.slice(10))
    expect(await total()).toBe(0n)
  })

  it('refuses to acknowledge after the subscription closed: the deliveries went back to the queue', async () => {
    const publisher = transport()
    const orders = await topic(publisher, 1)
    const g = group()
    const subscription = await transport().subscribe({ group: g, topics: [orders] })
    await publisher.publish(orders, messages(1, 1))
    const got = await readCount(subscription, 1)
    await subscription.close()
    expect(subscription.finished).toBe(true)
    await expect(subscription.acknowledge(got)).rejects.toMatchObject({ type: 'SubscriptionClosedError', group: g })
    expect(await subscription.read(10, 10, new Promise(() => undefined))).toEqual([])
  })
})
