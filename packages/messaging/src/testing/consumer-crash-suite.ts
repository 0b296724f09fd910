import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from '@jest/globals'
import { encodeEnvelope } from '../envelope/codec'
import type { InboxStore } from '../inbox/inbox-store'
import type { Transport } from '../transport/transport'

/** Options of {@link consumerCrashSuite}: built CommonJS modules, required by the test and by each child consumer. */
export interface ConsumerCrashOptions {
  /** Exports `openTransport(): Promise<Transport>`, a transport that reaches the same broker from every process. */
  readonly transportModule: string
  /** Exports `openInbox(dir: string): Promise<InboxStore & { close(): Promise<void> }>`, the consumer's store in `dir`. */
  readonly inboxModule: string
  /** Messages published. @default 400 */
  readonly messages?: number
  /** Consumers killed before the one that finishes. @default 3 */
  readonly kills?: number
}

interface Line {
  readonly point?: 'mid-batch' | 'before-ack'
  readonly done?: boolean
  readonly progress?: { eventsRead: number; eventsApplied: number }
}

/** The child consumer, in the built package. */
const CHILD = join(__dirname, '..', '..', 'dist', 'testing', 'consumer-crash-child.js')

/**
 * Registers the consumer crash test as jest tests: a child consumer is
 * SIGKILLed at a point it reports, `kills` times, in turn in the middle of
 * a batch (its handler waits inside the open batch) and after a commit
 * before its acknowledgement (so the last one is handed messages the inbox
 * already holds), and a last one finishes:
 * every message's effect (a document change, and an append when the store
 * has a log) is there exactly once. Needs the package built (`tsc -b`).
 * @example
 * ```ts
 * consumerCrashSuite('Kafka', { transportModule: require.resolve('./kafka-transport.cjs'), inboxModule: require.resolve('./sqlite-inbox.cjs') })
 * ```
 */
export const consumerCrashSuite = (name: string, { transportModule, inboxModule, messages = 400, kills = 3 }: ConsumerCrashOptions): void => {
  describe(`${name} (consumer crash)`, () => {
    it('loses nothing and applies nothing twice when consumers are SIGKILLed mid-batch and restarted', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'eventfold-consumer-crash-'))
      const tag = `crash-${randomBytes(4).toString('hex')}`
      const topic = `${tag}-orders`
      const { openTransport } = require(transportModule) as { openTransport(): Promise<Transport> }
      const { openInbox } = require(inboxModule) as { openInbox(dir: string): Promise<InboxStore & { close(): Promise<void> }> }
      const transport = await openTransport()
      try {
        await transport.declare({ name: topic, partitions: 4 })
        // The group joins before the publish: a broker that keeps no log (RabbitMQ) only holds messages for groups bound to the topic.
        await (await transport.subscribe({ group: `${tag}-billing`, topics: [topic] })).close()
        const keys = 12
        await transport.publish(
          topic,
          Array.from({ length: messages }, (_, n) =>
            encodeEnvelope({
              id: `${tag}-${n}`,
              type: 'OrderPlaced.v1',
              source: 'orders',
              streamId: `Order-${n % keys}`,
              revision: BigInt(Math.floor(n / keys)),
              position: BigInt(n + 1),
              occurredAt: new Date().toISOString(),
              payload: 'full',
              data: { key: `k${n % keys}`, n },
            }),
          ),
        )
        const run = (killAfter: number | undefined, point: 'mid-batch' | 'before-ack' = 'mid-batch') =>
          new Promise<{ lines: Line[]; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
            const child = spawn(process.execPath, [CHILD], {
              env: {
                ...process.env,
                EF_CRASH_TRANSPORT: transportModule,
                EF_CRASH_INBOX: inboxModule,
                EF_CRASH_DIR: dir,
                EF_CRASH_TOPIC: topic,
                EF_CRASH_GROUP: `${tag}-billing`,
                EF_CRASH_TOTAL: String(messages),
                EF_CRASH_KILL_AFTER: killAfter === undefined ? '' : String(killAfter),
                EF_CRASH_KILL_POINT: point,
              },
              stdio: ['ignore', 'pipe', 'pipe'],
            })
            const lines: Line[] = []
            let stderr = ''
            child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
            createInterface({ input: child.stdout }).on('line', (text) => {
              const line = JSON.parse(text) as Line
              lines.push(line)
              // Killed where it said it is: inside its handler with the batch open, or after a commit it has not acknowledged.
              if (line.point !== undefined) child.kill('SIGKILL')
            })
            // A safety net for a child that never reaches its point, not a synchronisation.
            const guard = setTimeout(() => child.kill('SIGKILL'), 120_000)
            child.on('error', reject)
            child.on('exit', (_code, signal) => {
              clearTimeout(guard)
              resolve({ lines, signal, stderr })
            })
          })
        for (let k = 0; k < kills; k++) {
          // Each killed child gets a little further: some batches commit, and the one it dies in does not, or commits unacknowledged.
          const point = (kills - 1 - k) % 2 === 0 ? 'before-ack' : 'mid-batch'
          const killed = await run(Math.floor(messages / (kills + 2)) + 7 * k, point)
          expect({ k, signal: killed.signal, stderr: killed.stderr, point: killed.lines.at(-1)?.point }).toEqual({ k, signal: 'SIGKILL', stderr: '', point })
        }
        const last = await run(undefined)
        expect({ signal: last.signal, stderr: last.stderr, done: last.lines.at(-1)?.done }).toEqual({ signal: null, stderr: '', done: true })

        const inbox = await openInbox(dir)
        try {
          const docs = await inbox.documents.find('orders')
          expect(docs.length).toBe(messages)
          expect(docs.filter((d) => d.seen !== 1)).toEqual([])
          if (inbox.events) {
            for (let key = 0; key < keys; key++) {
              const recorded: number[] = []
              for await (const e of inbox.events.readStream(`CrashLedger-k${key}`)) recorded.push((e.data as { n: number }).n)
              // Per key: every message once, in publication order (one key, one partition, in order).
              expect({ key, recorded }).toEqual({ key, recorded: Array.from({ length: messages }, (_, n) => n).filter((n) => n % keys === key) })
            }
          }
          const progress = last.lines.at(-1)!.progress!
          // Deliveries the inbox skipped in the last run: what the killed consumers had committed but not acknowledged.
          process.stdout.write(`${name} consumer crash: ${kills} kills, last run read ${progress.eventsRead} deliveries and applied ${progress.eventsApplied}\n`)
          expect(progress.eventsRead).toBeGreaterThan(progress.eventsApplied)
        } finally {
          await inbox.close()
        }
      } finally {
        await transport.close()
        rmSync(dir, { recursive: true, force: true })
      }
    }, 600_000)
  })
}
