// The child process of the consumer crash suite: a consumer on the transport
// and the inbox that two modules open (paths in EF_CRASH_TRANSPORT and
// EF_CRASH_INBOX), as an application process would. It prints one JSON line
// per event the test waits for:
//   { point: 'mid-batch', applied }  once its handler has run EF_CRASH_KILL_AFTER
//                                    times in this process; the handler then
//                                    blocks inside the open batch until killed;
//   { point: 'before-ack', applied } with EF_CRASH_KILL_POINT=before-ack: at the
//                                    first acknowledgement after that many, once
//                                    the batch is committed; it blocks there;
//   { done: true, progress }         once the inbox holds EF_CRASH_TOTAL messages.
import { writeSync } from 'node:fs'
import { AggregateNotFoundError, defineAggregate } from '@eventfold/core'
import { defineConsumer } from '../consumers/consumer-definition'
import { ConsumerWorker } from '../consumers/consumer-worker'
import { INBOX_COLLECTION } from '../inbox/inbox-records'
import type { InboxStore } from '../inbox/inbox-store'
import type { Subscription, Transport } from '../transport/transport'

interface Record {
  readonly type: 'Record' | 'OpenLedger'
  readonly key: string
  readonly n: number
}

/** The consumer's own aggregate: per order key, the messages recorded, in order. */
export const CrashLedger = defineAggregate<{ count: number }, Record, { type: string; data: { n: number } }>({
  category: 'CrashLedger',
  commands: { Record: { aggregateId: (c) => c.key }, OpenLedger: { aggregateId: (c) => c.key, creates: true } },
  initialState: () => ({ count: 0 }),
  decide: (c) => [{ type: 'Recorded', data: { n: c.n } }],
  evolve: (s) => ({ count: s.count + 1 }),
})

const say = (line: unknown): void => {
  writeSync(1, `${JSON.stringify(line)}\n`)
}

const main = async (): Promise<void> => {
  const env = process.env
  const { openTransport } = require(env.EF_CRASH_TRANSPORT!) as { openTransport(): Promise<Transport> }
  const { openInbox } = require(env.EF_CRASH_INBOX!) as { openInbox(dir: string): Promise<InboxStore & { close(): Promise<void> }> }
  const killAfter = env.EF_CRASH_KILL_AFTER ? Number(env.EF_CRASH_KILL_AFTER) : undefined
  const total = Number(env.EF_CRASH_TOTAL)
  const beforeAck = env.EF_CRASH_KILL_POINT === 'before-ack'
  const opened = await openTransport()
  // Acknowledgements pass through here, so that the child can stop between a commit and its acknowledgement.
  // Every member is delegated by hand: transports are classes whose private fields a prototype copy cannot reach.
  const transport: Transport = {
    name: opened.name,
    declare: (topic) => opened.declare(topic),
    publish: (topic, messages) => opened.publish(topic, messages),
    lag: (group, topics) => opened.lag(group, topics),
    close: () => opened.close(),
    subscribe: async (options) => {
      const subscription = await opened.subscribe(options)
      const wrapped: Subscription = {
        get finished() {
          return subscription.finished
        },
        read: (maxCount, maxWaitMs, wake) => subscription.read(maxCount, maxWaitMs, wake),
        deadLetter: (delivery, reason) => subscription.deadLetter(delivery, reason),
        close: () => subscription.close(),
        acknowledge: async (deliveries) => {
          if (beforeAck && killAfter !== undefined && applied >= killAfter) {
            say({ point: 'before-ack', applied })
            await new Promise(() => {})
          }
          return subscription.acknowledge(deliveries)
        },
      }
      return wrapped
    },
  }
  const inbox = await openInbox(env.EF_CRASH_DIR!)
  let applied = 0
  const consumer = defineConsumer(env.EF_CRASH_GROUP!, {
    topics: [env.EF_CRASH_TOPIC!],
    collection: 'orders',
    handlers: {
      'OrderPlaced.v1': async (e, { documents, commands }) => {
        const { key, n } = e.data as { key: string; n: number }
        documents.upsert(`o-${n}`, { $inc: { seen: 1 } })
        if (inbox.events) {
          await commands.execute({ type: 'Record', key, n }).catch((error: unknown) => {
            if (!(error instanceof AggregateNotFoundError)) throw error
            return commands.execute({ type: 'OpenLedger', key, n })
          })
        }
        if (++applied === killAfter && !beforeAck) {
          say({ point: 'mid-batch', applied })
          await new Promise(() => {})
        }
      },
    },
  })
  const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, {
    aggregates: [CrashLedger],
    batchSize: 20,
    onProgress: async () => {
      if ((await inbox.documents.count(INBOX_COLLECTION, { consumer: consumer.name })) >= total) worker.stop()
    },
  })
  const progress = await worker.run()
  say({ done: true, progress })
  await inbox.close()
  await opened.close()
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`)
  process.exit(1)
})
