import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildPackages } from '@eventfold/core/testing'
import { openSqlite, SqliteDocumentStore, SqliteEventStore } from '@eventfold/sqlite'
import type { Transport } from '../transport/transport'

const REPO_ROOT = resolve(__dirname, '../../../..')
const CHILD = join(__dirname, 'relay-crash-child.cjs')

/** Options of {@link runRelayCrash}. */
export interface RelayCrashOptions {
  /** A module exporting a function that returns the transport; each child relay process loads it. */
  readonly transportModule: string
  /** Added to the child processes' environment (broker addresses, a file). */
  readonly env?: Readonly<Record<string, string>>
  readonly topic: string
  /**
   * The consumer side: waits until it has applied `expected` distinct
   * events, and says how many deliveries it was handed and how many effects
   * it applied (an inbox applies each event once).
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

/** Builds the packages the child runs from `dist` (incremental: about a second when nothing changed). */
const build = (): void => buildPackages(join(REPO_ROOT, 'packages/messaging'), join(REPO_ROOT, 'packages/adapters/sqlite'))

interface Child {
  readonly process: ChildProcess
  /** Checkpoint lines printed so far. */
  checkpoints: number
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
    state.checkpoints += lines.filter((l) => l.startsWith('checkpoint ')).length
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
    const consumed = await consume(events)
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

const never = new Promise<void>(() => {})

/**
 * A consumer for {@link RelayCrashOptions.consume} on a real broker: a
 * consumer group of its own reads `topic` and applies each message id once
 * (a set of ids, standing in for the inbox), acknowledging as it goes.
 */
export const consumeOnce =
  (transport: Transport, topic: string, group: string) =>
  async (expected: number): Promise<{ deliveries: number; effects: number }> => {
    const subscription = await transport.subscribe({ group, topics: [topic], from: 'earliest' })
    const inbox = new Set<string>()
    let deliveries = 0
    try {
      while (inbox.size < expected) {
        const batch = await subscription.read(1000, 50, never)
        deliveries += batch.length
        for (const d of batch) inbox.add(d.id)
        await subscription.acknowledge(batch)
      }
    } finally {
      await subscription.close()
    }
    return { deliveries, effects: inbox.size }
  }
