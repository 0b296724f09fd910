import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildPackages } from '@eventfold/core/testing'
import { openSqlite, SqliteDocumentStore, SqliteEventStore } from '@eventfold/sqlite'
import { defineConsumer } from '../consumers/consumer-definition'
import { ConsumerWorker } from '../consumers/consumer-worker'
import type { InboxStore } from '../inbox/inbox-store'
import type { Transport } from '../transport/transport'

const REPO_ROOT = resolve(__dirname, '../../../..')
const CHILD = join(__dirname, 'relay-crash-child.cjs')

/** Options of {@link runRelayCrash}. */
export interface RelayCrashOptions {
  /** A module exporting `openTransport(): Promise<Transport>`; each child relay process loads it. */
  readonly transportModule: string
  /** Added to the child processes' environment (broker addresses, a file). */
  readonly env?: Readonly<Record<string, string>>
  readonly topic: string
  /**
   * The consumer side, started with the first relay child: waits until it
   * has applied `expected` distinct events, and says how many deliveries it
   * was handed and how many effects it applied.
   */
  readonly consume: (expected: number) => Promise<{ readonly deliveries: number; readonly effects: number }>
  /** @default 50000 */
  readonly events?: number
  /** @default 5 */
  readonly kills?: number
  /** @default 2 */
  readonly partitions?: number
  /** Short, so that a restarted relay takes the killed one's partitions soon. @default 1000 */
  readonly leaseTtlMs?: number
}

/** What a crash run saw. */
export interface RelayCrashResult {
  readonly events: number
  readonly kills: number
  readonly deliveries: number
  readonly effects: number
  /** Deliveries beyond the first of each event: what the inbox absorbed. */
  readonly duplicates: number
}

/** How long the consumer may take once the relay published the whole log. */
const STALL_MS = 120_000

/** Builds the packages the child runs from `dist` (incremental: about a second when nothing changed). */
const build = (): void =>
  buildPackages(...['packages/messaging', 'packages/adapters/sqlite', 'packages/adapters/kafka', 'packages/adapters/rabbitmq'].map((p) => join(REPO_ROOT, p)))

interface Child {
  readonly process: ChildProcess
  /** Checkpoint lines printed so far. */
  checkpoints: number
  /** The last checkpoint printed for each relay partition. */
  readonly positions: Map<string, bigint>
  /** True once it printed `held`: a publish went through and its checkpoint never will. */
  held: boolean
  readonly exited: Promise<number | null>
  /** Resolves once `done` holds for the child's output. */
  printed(done: (child: Child) => boolean, what: string): Promise<void>
  stderr: string
}

const startChild = (args: readonly string[], env: Readonly<Record<string, string>>): Child => {
  const child = spawn(process.execPath, [CHILD, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const waiters = new Set<() => void>()
  const state: Child = {
    process: child,
    checkpoints: 0,
    positions: new Map(),
    held: false,
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    printed: (done, what) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (done(state)) resolve()
          else if (child.exitCode !== null) reject(new Error(`relay child exited with ${child.exitCode} before ${what}: ${state.stderr}`))
          else return
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      }),
  }
  let pending = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines.filter((l) => l.startsWith('checkpoint '))) {
      const [, partition, position] = line.split(' ')
      state.checkpoints++
      state.positions.set(partition!, BigInt(position!))
    }
    state.held ||= lines.includes('held')
    for (const w of [...waiters]) w()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (state.stderr += chunk))
  child.on('exit', () => [...waiters].forEach((w) => w()))
  return state
}

/**
 * The relay crash test: a child relay process publishes `events` events
 * from a SQLite log while the log is written, and is SIGKILLed `kills`
 * times mid-publishing (every other time between a publish and its
 * checkpoint) and restarted each time; then the consumer must
 * have every event, each applied once, and the transport must have
 * delivered some twice (the batches published again after a kill).
 */
export const runRelayCrash = async (options: RelayCrashOptions): Promise<RelayCrashResult> => {
  const { transportModule, topic, consume, events = 50_000, kills = 5, partitions = 2, leaseTtlMs = 1000, env = {} } = options
  build()
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-relay-crash-'))
  const file = join(dir, 'log.db')
  const sqlite = openSqlite(file, { synchronous: 'normal' })
  const eventStore = new SqliteEventStore(sqlite)
  // The tables exist before the children open the file.
  new SqliteDocumentStore(sqlite)
  const args = [file, transportModule, topic, String(partitions), String(leaseTtlMs)]
  let child: Child | undefined
  const consuming = consume(events)
  // Awaited after the kills; a consumer failing meanwhile is reported then, not as an unhandled rejection.
  consuming.catch(() => {})
  try {
    // 1000 streams, 10 events per append, one event in eleven of a type that is not published.
    const appending = (async () => {
      const perAppend = 10
      for (let n = 0, append = 0; n < events; append++) {
        const batch = Array.from({ length: Math.min(perAppend, events - n) }, (_, i) => ({ type: 'Crashed', data: { n: n + i } }))
        n += batch.length
        await eventStore.appendToStream(`Crash-${append % 1000}`, [...batch, { type: 'Audited', data: {} }])
        // Let the event loop run: the children's output is read meanwhile.
        if (append % 50 === 0) await new Promise((r) => setImmediate(r))
      }
    })()
    let killed = 0
    for (; killed < kills; killed++) {
      // Every other kill lands between a publish and its checkpoint (the batch is published again);
      // the others wherever the child is once it has stored a few checkpoints.
      const between = killed % 2 === 0
      child = startChild(args, between ? { ...env, RELAY_CRASH_HOLD_AFTER_PUBLISH: '3' } : env)
      if (between) await child.printed((c) => c.held, 'holding a published batch')
      else await child.printed((c) => c.checkpoints >= 3, '3 checkpoints')
      child.process.kill('SIGKILL')
      await child.exited
    }
    await appending
    child = startChild(args, env)
    const head = (await eventStore.headPosition()) ?? 0n
    const last = child
    const atHead = last
      .printed((c) => c.positions.size === partitions && [...c.positions.values()].every((p) => p >= head), 'publishing the whole log')
      .then(
        // A safety net, not a synchronisation: once everything is published, a consumer that never finishes lost messages.
        () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the relay published the whole log of '${topic}' (position ${head}) and the consumer did not get every event within ${STALL_MS} ms`)), STALL_MS).unref()),
      )
    atHead.catch(() => {})
    const consumed = await Promise.race([consuming, atHead])
    child.process.kill('SIGTERM')
    const code = await child.exited
    if (code !== 0) throw new Error(`the last relay child exited with ${code}: ${child.stderr}`)
    child = undefined
    return { events, kills: killed, deliveries: consumed.deliveries, effects: consumed.effects, duplicates: consumed.deliveries - consumed.effects }
  } finally {
    child?.process.kill('SIGKILL')
    await eventStore.close()
    await sqlite.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Where {@link consumeThroughInbox}'s consumer records each effect. */
export const CRASH_COLLECTION = 'crash_effects'

/**
 * A consumer for {@link RelayCrashOptions.consume}: the real thing, a
 * {@link ConsumerWorker} in a group of its own on `topic`, whose handler
 * increments a document per event through `inbox`. It declares the topic as
 * the relay will and binds its group before it resolves (a broker that keeps
 * no log holds messages only for groups bound before the publish); once
 * `expected` events are applied it counts the effects from the documents
 * (the sum of every event's `seen`).
 */
export const consumeThroughInbox = async ({
  transport,
  topic,
  partitions,
  group,
  inbox,
}: {
  transport: Transport
  topic: string
  partitions: number
  group: string
  inbox: InboxStore
}): Promise<(expected: number) => Promise<{ deliveries: number; effects: number }>> => {
  await transport.declare({ name: topic, partitions })
  await (await transport.subscribe({ group, topics: [topic] })).close()
  return async (expected) => {
    const consumer = defineConsumer(group, {
      topics: [topic],
      collection: CRASH_COLLECTION,
      handlers: {
        'Crashed.v1': (e, { documents }) => documents.upsert(String((e.data as { n: number }).n), { $inc: { seen: 1 } }),
      },
    })
    const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, inbox, {
      batchSize: 500,
      onProgress: (p) => p.eventsApplied >= expected && worker.stop(),
    })
    const progress = await worker.run()
    const docs = await inbox.documents.find(CRASH_COLLECTION)
    const effects = docs.reduce((sum, d) => sum + Number(d.seen), 0)
    if (docs.length !== expected) throw new Error(`the consumer applied ${docs.length} distinct events of ${expected}`)
    return { deliveries: progress.eventsRead, effects }
  }
}
