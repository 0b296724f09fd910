import { spawn, type ChildProcess } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { afterAll, expect, it } from '@jest/globals'
import type { Delivery } from '@eventfold/messaging/spi'
import { KafkaTransport } from '../index'
import { describeKafka, freshName, kafkaBrokers } from '../testing/connect'

// A member in its own process that reads without ever acknowledging and reports each read on stdout.
const MEMBER = `
  const { Consumer } = await import(process.env.CLIENT_URL)
  const consumer = new Consumer({
    clientId: 'crashing-member', groupId: process.env.GROUP, bootstrapBrokers: process.env.BROKERS.split(','),
    sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 6000,
  })
  const stream = await consumer.consume({ topics: [process.env.TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
  stream.on('data', (m) => process.stdout.write('read ' + m.partition + ' ' + m.offset + '\\n'))
`

const startMember = (group: string, topic: string): { child: ChildProcess; firstRead: Promise<void> } => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', MEMBER], {
    env: { ...process.env, GROUP: group, TOPIC: topic, BROKERS: kafkaBrokers().join(','), CLIENT_URL: pathToFileURL(require.resolve('@platformatic/kafka')).href },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const firstRead = new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`member exited with ${code} before reading: ${stderr}`)))
  })
  return { child, firstRead }
}

describeKafka('a Kafka consumer group when a member crashes', () => {
  const transport = new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
  const children: ChildProcess[] = []
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await transport.close()
  })

  it('hands the crashed member’s partitions to the others, which get its unacknowledged messages', async () => {
    const topic = freshName('crash')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 2 })
    const ids = Array.from({ length: 40 }, (_, n) => `m-${n}`)
    await transport.publish(
      topic,
      ids.map((id, n) => ({ id, key: `stream-${n % 10}`, headers: {}, value: new TextEncoder().encode(id) })),
    )

    const { child, firstRead } = startMember(group, topic)
    children.push(child)
    await firstRead
    const survivor = await transport.subscribe({ group, topics: [topic] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited

    const got = new Map<string, Delivery>()
    const deadline = Date.now() + 60_000
    while (got.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`the survivor got ${got.size} of ${ids.length} messages within 60 s`)
      const batch = await survivor.read(100, 50, new Promise((resolve) => setTimeout(resolve, 1000)))
      for (const d of batch) got.set(d.id, d)
      await survivor.acknowledge(batch)
    }
    expect([...got.keys()].sort()).toEqual([...ids].sort())
    expect(new Set([...got.values()].map((d) => d.partition))).toEqual(new Set([0, 1]))
    const lag = await transport.lag(group, [topic])
    expect(lag.reduce((n, p) => n + p.lag, 0n)).toBe(0n)
    await survivor.close()
  }, 90_000)

  it('delivers again, marked redelivered, what this member handed out and did not acknowledge when a rebalance rewinds it', async () => {
    const topic = freshName('again')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 1 })
    await transport.publish(topic, [0, 1, 2].map((n) => ({ id: `m-${n}`, key: 'k', headers: {}, value: null })))
    const member = await transport.subscribe({ group, topics: [topic] })
    const first: Delivery[] = []
    while (first.length < 3) first.push(...(await member.read(3, 50, new Promise((resolve) => setTimeout(resolve, 1000)))))
    expect(first.map((d) => d.redelivered)).toEqual([false, false, false])
    await member.acknowledge([first[0]!])
    // Another member joins and leaves: after the rebalances the member starts again from the
    // group's committed offset, so what it did not acknowledge comes again.
    const visitor = await transport.subscribe({ group, topics: [topic] })
    await visitor.close()
    const again: Delivery[] = []
    const deadline = Date.now() + 60_000
    while (again.length < 2) {
      if (Date.now() > deadline) throw new Error(`got ${again.length} of 2 redeliveries within 60 s`)
      again.push(...(await member.read(2, 50, new Promise((resolve) => setTimeout(resolve, 1000)))))
    }
    expect(again.map((d) => [d.id, d.redelivered])).toEqual([
      ['m-1', true],
      ['m-2', true],
    ])
    await member.acknowledge(again)
    await member.close()
  }, 90_000)

  it('hands out again, after a rebalance, what a member had fetched and not yet handed out or acknowledged', async () => {
    const topic = freshName('buffered')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 1 })
    const ids = Array.from({ length: 10 }, (_, n) => `m-${n}`)
    await transport.publish(topic, ids.map((id) => ({ id, key: 'k', headers: {}, value: null })))
    const member = await transport.subscribe({ group, topics: [topic] })
    const seen = new Set<string>()
    // Two handed out; the other eight were fetched with them and wait in the member.
    while (seen.size < 2) for (const d of await member.read(2 - seen.size, 50, new Promise((resolve) => setTimeout(resolve, 1000)))) seen.add(d.id)
    const visitor = await transport.subscribe({ group, topics: [topic] })
    await visitor.close()
    const deadline = Date.now() + 60_000
    while (seen.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`saw ${seen.size} of ${ids.length} messages within 60 s`)
      const batch = await member.read(100, 50, new Promise((resolve) => setTimeout(resolve, 1000)))
      for (const d of batch) seen.add(d.id)
      await member.acknowledge(batch)
    }
    expect([...seen].sort()).toEqual([...ids].sort())
    await member.close()
  }, 90_000)
})
