import { randomUUID } from 'node:crypto'
import type { BackoffPolicy } from '@eventfold/core'
import { WorkerEngine, type BatchAttempt, type EngineCounters, type EngineSink, type EngineSource, type OpenBatch } from '@eventfold/projections/engine'
import { systemClock, type Clock } from '../clock/clock'
import type { ClaimedDeadline } from './deadline'
import type { DeadlineStore, SettleOutcome } from './deadline-store'
import { traceDeadlineFire, watchDueDeadlines } from '../telemetry'

/** What a deadline handler gets. */
export interface DeadlineDelivery {
  /** The deadline's id: the same on every delivery of one scheduling, so a receiver dedupes a redelivery by it. */
  readonly id: string
  readonly scope: string
  readonly name: string
  readonly dueAt: number
  readonly payload: unknown
}

/** Delivers a deadline to its target: a saga, or a command on the command bus (see {@link commandTarget}). */
export type DeadlineHandler = (delivery: DeadlineDelivery) => Promise<void> | void

/** Options of {@link DeadlineWorker}. */
export interface DeadlineWorkerOptions {
  /** The handler of each deadline name; the worker claims only deadlines it has a handler for. */
  readonly handlers: Readonly<Record<string, DeadlineHandler>>
  /** @default the system clock */
  readonly clock?: Clock
  /** This worker's name in the store's claims. @default a random id */
  readonly owner?: string
  /** How long a claim holds: a worker that dies leaves its deadlines to others after this. @default 30000 */
  readonly leaseMs?: number
  /** Deadlines claimed and delivered per batch. @default 16 */
  readonly batchSize?: number
  /** How often, in clock time, the store is asked again with nothing due (for deadlines scheduled by other processes). @default 1000 */
  readonly pollIntervalMs?: number
  /** Deliveries of one deadline before it is parked with its error. @default 3 */
  readonly maxAttempts?: number
  /** Backoff between attempts and during store outages. @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
  /** Told about each store outage that will be retried. @default a process warning */
  readonly onError?: (error: unknown) => void
  /** Told after a deadline was marked fired or parked in the store. @default nothing */
  readonly onSettled?: (deadline: DeadlineDelivery, state: 'fired' | 'parked') => void
}

/** What the worker has done so far. */
export interface DeadlineWorkerCounters {
  /** Deadlines delivered and marked fired. */
  readonly fired: number
  /** Deadlines whose claim was lost before they were settled (another worker took them over, or they were cancelled). */
  readonly lost: number
  /** Deadlines parked after their handler kept failing. */
  readonly parked: number
  /** The engine's counters: batches, retries, and `lag`, how late (in wall-clock ms) the last batch's last deadline fired. */
  readonly engine: EngineCounters
}

/** A claimed deadline with the key the engine counts its attempts by. */
interface Item {
  readonly key: bigint
  readonly claim: ClaimedDeadline
}

/**
 * Fires due deadlines: claims them in the store with a lease and a fencing
 * token, delivers each to the handler of its name, then marks it fired. It
 * runs on the worker engine, which retries a failing handler with backoff
 * and parks the deadline after `maxAttempts`.
 *
 * Exactly once in effect: a claim is exclusive, so two workers never deliver
 * a deadline at once; a worker killed after its handler's effect but before
 * the mark leaves the deadline to be delivered again once the lease expires,
 * with the same `id`, which the receiver dedupes by (see the README).
 * @example
 * ```ts
 * const worker = new DeadlineWorker(store, { handlers: { 'payment-timeout': commandTarget(bus, (d) => new CancelOrder(d.scope)) } })
 * worker.start()
 * // …
 * await worker.stop()
 * ```
 */
export class DeadlineWorker {
  private readonly engine: WorkerEngine<Item>
  private readonly source: DeadlineSource
  private readonly sink: DeadlineSink
  private running: Promise<void> | undefined
  private readonly watch: () => () => void

  constructor(store: DeadlineStore, options: DeadlineWorkerOptions) {
    const { handlers, clock = systemClock, owner = randomUUID(), leaseMs = 30_000, batchSize = 16, pollIntervalMs = 1000 } = options
    if (!(leaseMs > 0) || !(pollIntervalMs > 0)) throw new RangeError(`leaseMs and pollIntervalMs must be positive, got ${leaseMs} and ${pollIntervalMs}`)
    this.engine = new WorkerEngine<Item>({
      keyOf: (item) => item.key,
      // The engine's lag is then how late the last deadline fired.
      occurredAt: (item) => item.claim.dueAt,
      batchSize,
      maxBatchWaitMs: 0,
      labels: { kind: 'deadlines', name: 'deadlines' },
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.retry !== undefined && { retry: options.retry }),
      ...(options.onError !== undefined && { onError: options.onError }),
    })
    const names = Object.keys(handlers)
    this.source = new DeadlineSource(store, clock, { owner, leaseMs, names, pollIntervalMs })
    this.sink = new DeadlineSink(store, clock, handlers, options.onSettled)
    this.watch = () => watchDueDeadlines(this, store, clock)
  }

  /** Counters so far. */
  get counters(): DeadlineWorkerCounters {
    return { ...this.sink.counts, engine: this.engine.counters }
  }

  /** Starts claiming and delivering; what `stop` waits for. A second call returns the same run. */
  start(): Promise<void> {
    if (!this.running) {
      const unwatch = this.watch()
      this.running = this.engine.run(this.source, this.sink).finally(unwatch)
    }
    return this.running
  }

  /** Makes the worker look at the store at once, e.g. after a deadline was scheduled in this process. */
  wake(): void {
    this.engine.wake()
  }

  /** Stops after the batch under way is settled. */
  async stop(): Promise<void> {
    this.engine.stop()
    await this.running
  }
}

class DeadlineSource implements EngineSource<Item> {
  readonly finished = false
  private seq = 0n

  constructor(
    private readonly store: DeadlineStore,
    private readonly clock: Clock,
    private readonly options: { owner: string; leaseMs: number; names: readonly string[]; pollIntervalMs: number },
  ) {}

  async read(maxCount: number, _maxWaitMs: number, wake: Promise<void>): Promise<readonly Item[]> {
    const { owner, leaseMs, names, pollIntervalMs } = this.options
    if (names.length === 0) {
      await this.clock.waitUntil(Number.POSITIVE_INFINITY, wake)
      return []
    }
    const now = this.clock.now()
    const claims = await this.store.claimDue(now, { owner, leaseMs, limit: maxCount, names })
    if (claims.length > 0) return claims.map((claim) => ({ key: ++this.seq, claim }))
    const next = await this.store.nextDueAt(names)
    // A deadline that became claimable meanwhile is claimed at once; otherwise wait for the next one, or poll for other processes' schedules.
    if (next !== undefined && next <= this.clock.now() && next > now) return []
    await this.clock.waitUntil(Math.min(next !== undefined && next > now ? next : Number.POSITIVE_INFINITY, now + pollIntervalMs), wake)
    return []
  }
}

class DeadlineAttempt implements BatchAttempt<Item> {
  readonly fired: Item[] = []
  readonly parked: { item: Item; error: unknown }[] = []

  constructor(
    private readonly delivered: Set<bigint>,
    private readonly lost: Set<bigint>,
    private readonly clock: Clock,
    private readonly handlers: Readonly<Record<string, DeadlineHandler>>,
  ) {}

  accepts(item: Item): boolean {
    return !this.lost.has(item.key)
  }

  async apply(item: Item): Promise<void> {
    // A delivery already made in an earlier attempt at this batch is not made again, only settled.
    if (this.delivered.has(item.key)) {
      this.fired.push(item)
      return
    }
    const { claim } = item
    // Past its lease another worker may hold the deadline: leave it to them.
    if (this.clock.now() >= claim.leaseUntil) {
      this.lost.add(item.key)
      return
    }
    // Claims are made only for names with a handler.
    await traceDeadlineFire(claim.name, claim.scope, async () => this.handlers[claim.name]!(deliveryOf(claim)))
    this.delivered.add(item.key)
    this.fired.push(item)
  }

  park(item: Item, error: unknown): void {
    this.parked.push({ item, error })
  }

  async settle(): Promise<void> {}

  lastWriterOf(): bigint | undefined {
    return undefined
  }
}

class DeadlineSink implements EngineSink<Item, DeadlineAttempt> {
  readonly atomic = false
  counts = { fired: 0, lost: 0, parked: 0 }
  /** Of the open batch: deadlines delivered (in any attempt), lost to an expired lease, and settled (by a commit that then failed on a later one). */
  private readonly delivered = new Set<bigint>()
  private readonly lost = new Set<bigint>()
  private readonly settled = new Map<bigint, 'fired' | 'parked' | 'lost'>()

  constructor(
    private readonly store: DeadlineStore,
    private readonly clock: Clock,
    private readonly handlers: Readonly<Record<string, DeadlineHandler>>,
    private readonly onSettled: DeadlineWorkerOptions['onSettled'],
  ) {}

  begin(first: boolean): DeadlineAttempt {
    if (first) {
      this.delivered.clear()
      this.lost.clear()
      this.settled.clear()
    }
    return new DeadlineAttempt(this.delivered, this.lost, this.clock, this.handlers)
  }

  /** Marks each deadline of the batch; one already marked by an earlier try at this commit is not marked (nor counted) again. */
  async commit(attempt: DeadlineAttempt, _batch: OpenBatch<Item>): Promise<{ writes: number; parked: number }> {
    const at = this.clock.now()
    const outcomes: [Item, SettleOutcome][] = [
      ...attempt.fired.map((item): [Item, SettleOutcome] => [item, { state: 'fired', at }]),
      ...attempt.parked.map(({ item, error }): [Item, SettleOutcome] => [item, { state: 'parked', at, error: errorText(error) }]),
    ]
    for (const [item, outcome] of outcomes) {
      if (this.settled.has(item.key)) continue
      const done = await this.store.settle(item.claim, outcome)
      this.settled.set(item.key, done ? outcome.state : 'lost')
      if (done) this.onSettled?.(deliveryOf(item.claim), outcome.state)
    }
    const states = [...this.settled.values()]
    const fired = states.filter((s) => s === 'fired').length
    const parked = states.filter((s) => s === 'parked').length
    return { writes: fired + parked, parked }
  }

  async committed(): Promise<void> {
    const states = [...this.settled.values()]
    const count = (state: string) => states.filter((s) => s === state).length
    this.counts = {
      fired: this.counts.fired + count('fired'),
      parked: this.counts.parked + count('parked'),
      lost: this.counts.lost + count('lost') + this.lost.size,
    }
  }
}

const deliveryOf = ({ id, scope, name, dueAt, payload }: ClaimedDeadline): DeadlineDelivery => ({ id, scope, name, dueAt, payload })

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))
