import { ConcurrencyError, isPermanentStoreError, StoreClosedError, type BackoffPolicy } from '@eventfold/core'
import { backoffDelay, logger } from '@eventfold/core/spi'
import { DocumentOperationError, DocumentReadError } from '../../documents/document-batch'
import { DocumentConflictError, DocumentRejectedError, DuplicateDocumentError, InvalidDocumentOperationError } from '../../errors/errors'
import type { ProjectionStates } from '../../generations/projection-state'
import { generationSwitchedFrom } from '../../generations/generation-collections'
import { LeaseLostError } from '../leases'
import { NO_COUNTS, type EngineCounters } from './counters'
import type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
import { Wakeup } from './wakeup'
import { EngineTelemetry, type ItemTrace, type WorkerLabels } from './telemetry'
import type { Span } from '@opentelemetry/api'

/** How a worker batches, retries and parks: the options every worker on the engine takes. */
export interface BatchPolicy {
  /** Maximum events per batch. @default 1000 */
  readonly batchSize?: number
  /** How long a batch waits to fill after its first event. @default 25 */
  readonly maxBatchWaitMs?: number
  /**
   * A batch commits once it has been open this long, however many events it
   * has: a large `batchSize` then still commits (and reports progress)
   * regularly. @default no limit
   */
  readonly maxBatchMs?: number
  /** Attempts at one event (its handler, or its writes the store refused) before it is parked as a dead letter. @default 3 */
  readonly maxAttempts?: number
  /** Backoff between attempts, after a repeated conflict, and for store outages (retried until stop). @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
  /** Told about each store outage that will be retried. @default a process warning */
  readonly onError?: (error: unknown) => void
}

/** How often a worker with nothing to commit checks that its generation is still the active one. */
const IDLE_GENERATION_CHECK_MS = 1000

/** Options of {@link WorkerEngine}. */
export interface WorkerEngineOptions<T> extends BatchPolicy {
  /** The item's identity for attempts and parking (an event's position). */
  readonly keyOf: (item: T) => bigint
  /** When the item's event occurred, in epoch milliseconds, for {@link EngineCounters.lag}. @default not measured */
  readonly occurredAt?: (item: T) => number | undefined
  /** Items asked of the source at a time; a read that brings fewer closes the batch. @default `batchSize` */
  readonly readChunk?: number
  /** Called after each committed batch. */
  readonly onCommit?: (counters: EngineCounters) => void
  /** Names the worker in its batch spans and metrics. @default no spans or metrics */
  readonly labels?: WorkerLabels
  /** An item's W3C `traceparent` (its batch's span links to it) and correlation id (in logs about it). @default none */
  readonly traceOf?: (item: T) => ItemTrace | undefined
}

/**
 * The generation of a projection's read model a sink writes to, checked
 * before every commit: when another generation became active,
 * `switched(active)` is thrown and the open batch is not committed.
 */
export interface GenerationCheck {
  readonly states: ProjectionStates
  readonly projection: string
  readonly generation: number
  readonly switched: (active: number) => unknown
}

/** An item that failed, by key, with its error; without a key, the store failed (an outage), not an item. */
interface Failure {
  readonly key: bigint | undefined
  readonly error: unknown
}

interface Open<T, A> extends OpenBatch<T> {
  attempt: A
  first: T
  last: T
  items: T[] | undefined
  /** Items read into the batch. */
  read: number
  /** Items the current attempt applied. */
  applied: number
  readonly openedAt: number
  readonly failures: Map<bigint, { attempts: number; error: unknown }>
  readonly parked: Map<bigint, { error: unknown; attempts: number }>
  /** The batch's span, and the counters when it opened. */
  readonly span: Span | undefined
  readonly countsAtOpen: EngineCounters
}

const DEFAULT_RETRY: BackoffPolicy = { initialDelayMs: 50, maxDelayMs: 5000 }

/**
 * The policy every worker shares, applied to a batch: read from a source,
 * apply each item through a handler into an attempt, commit it through a
 * sink. An item whose handler keeps failing, or whose writes the store keeps
 * refusing, is parked after `maxAttempts` and the batch is redone without
 * it; a commit that met another worker's write is redone from fresh reads
 * (with jittered backoff after the first); a store outage is retried with
 * backoff until it passes or the worker stops. Workers (projection,
 * competing consumer, relay, saga) are a source and a sink on it.
 *
 * @example
 * ```ts
 * const engine = new WorkerEngine({ keyOf: (e: RecordedEvent) => e.position })
 * const running = engine.run(source, sink)
 * // …
 * engine.stop()
 * await running
 * ```
 */
export class WorkerEngine<T> {
  private readonly batchSize: number
  private readonly readChunk: number
  private readonly maxAttempts: number
  private readonly retry: BackoffPolicy
  private readonly wakeup = new Wakeup()
  private stopping = false
  private dropOnStop = false
  private stopSignal!: () => void
  private readonly stopped = new Promise<void>((resolve) => (this.stopSignal = resolve))
  private open: Open<T, unknown> | undefined
  private counts: EngineCounters = NO_COUNTS
  private generation: GenerationCheck | undefined
  private generationCheckedAt = 0
  private readonly telemetry: EngineTelemetry

  /** @throws {RangeError} for a batch size, read chunk or attempt count below 1. */
  constructor(private readonly options: WorkerEngineOptions<T>) {
    this.batchSize = options.batchSize ?? 1000
    this.readChunk = options.readChunk ?? this.batchSize
    this.maxAttempts = options.maxAttempts ?? 3
    this.retry = options.retry ?? DEFAULT_RETRY
    this.telemetry = new EngineTelemetry(options.labels, () => this.counts)
    for (const [key, n] of [['batchSize', this.batchSize], ['readChunk', this.readChunk], ['maxAttempts', this.maxAttempts]] as const) {
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${key} must be a positive integer, got ${n}`)
    }
  }

  /** Counters so far, over every run of this engine. */
  get counters(): EngineCounters {
    return this.counts
  }

  /** Ends a wait for the source: it caught up, or has something to say. */
  wake(): void {
    this.wakeup.wake()
  }

  /**
   * Makes the run end: after committing the open batch, or, with `drop`,
   * without it (its items are read again by whoever resumes). A dropped
   * batch that is being retried is given up at once, so a stop never spends
   * an item's remaining attempts without backoff, nor parks it for that.
   */
  stop({ drop = false }: { drop?: boolean } = {}): void {
    this.stopping = true
    this.dropOnStop ||= drop
    this.stopSignal()
    this.wakeup.wake()
  }

  /**
   * Follows `source` into `sink` until {@link stop}, or until the source is
   * finished with nothing open; `generation`, when given, is checked before
   * every commit.
   * @throws what the sink's checks throw (a lease lost, the generation switched), and a store error that outlasted a stop.
   */
  async run<A extends BatchAttempt<T>>(source: EngineSource<T>, sink: EngineSink<T, A>, generation?: GenerationCheck): Promise<void> {
    const { maxBatchWaitMs = 25 } = this.options
    const maxBatchMs = this.options.maxBatchMs ?? Number.POSITIVE_INFINITY
    this.generation = generation
    const beforeCommit = () => this.checkGeneration()
    this.telemetry.started()
    let failure: unknown
    try {
      while (!this.stopping) {
        // An open batch waits for more items only `maxBatchWaitMs`; an empty one until there is something to do.
        const wait = this.wakeup.next(this.open ? maxBatchWaitMs : this.generation ? IDLE_GENERATION_CHECK_MS : undefined)
        let items: readonly T[]
        try {
          items = await source.read(Math.min(this.readChunk, this.batchSize - (this.open?.read ?? 0)), maxBatchWaitMs, wait.promise)
        } finally {
          wait.cancel()
        }
        if (items.length > 0) await this.add(items, source, sink)
        const open = this.open
        const full = open !== undefined && (open.read >= this.batchSize || performance.now() - open.openedAt >= maxBatchMs)
        if (open && !this.dropOnStop && (full || items.length < this.readChunk || this.stopping)) await this.commit(source, sink)
        if (!this.open && sink.idle) await sink.idle(beforeCommit)
        if (items.length === 0 && !this.open) await this.checkGenerationWhileIdle()
        if (items.length === 0 && !this.open && source.finished) break
        // Let timers and I/O run between batches. With a synchronous store
        // (SQLite, in-memory) a catch-up is otherwise one unbroken chain of
        // microtasks: lease renewals, heartbeats and signal handlers would
        // not run until the worker reached the head.
        await yieldToEventLoop()
      }
      if (this.open && !this.dropOnStop) await this.commit(source, sink)
    } catch (error) {
      failure = error
      throw error
    } finally {
      this.telemetry.abandoned(this.open?.span, failure)
      this.telemetry.stopped()
      this.open = undefined
    }
  }

  /** Applies items to the open batch (opening one), redoing the batch when one of them fails. */
  private async add<A extends BatchAttempt<T>>(items: readonly T[], source: EngineSource<T>, sink: EngineSink<T, A>): Promise<void> {
    const open = (this.open ??= {
      attempt: sink.begin(true),
      first: items[0]!,
      last: items[0]!,
      items: source.replay ? undefined : [],
      read: 0,
      applied: 0,
      openedAt: performance.now(),
      failures: new Map(),
      parked: new Map(),
      span: this.telemetry.batchOpened(items, this.options.traceOf as ((item: unknown) => ItemTrace | undefined) | undefined),
      countsAtOpen: this.counts,
    }) as Open<T, A>
    open.last = items[items.length - 1]!
    open.read += items.length
    open.items?.push(...items)
    const failure = await this.apply(open, open.attempt, items)
    if (failure) await this.redo(open, failure, source, sink)
  }

  /**
   * Runs the items through `attempt`; an item that failed its last attempt is
   * parked, not run.
   * @returns the first failure, if any (the attempt is then unusable).
   */
  private async apply<A extends BatchAttempt<T>>(open: Open<T, A>, attempt: A, items: readonly T[]): Promise<Failure | undefined> {
    const { keyOf } = this.options
    try {
      if (attempt.prepare) await attempt.prepare(items)
    } catch (error) {
      return { key: undefined, error }
    }
    for (const item of items) {
      if (!attempt.accepts(item)) continue
      const key = keyOf(item)
      const parked = open.parked.size > 0 ? open.parked.get(key) : undefined
      if (parked) {
        attempt.park(item, parked.error, parked.attempts)
        continue
      }
      const failed = open.failures.size > 0 ? open.failures.get(key) : undefined
      if (failed && failed.attempts >= this.maxAttempts) {
        open.parked.set(key, failed)
        this.telemetry.parking(key, failed.error, failed.attempts, this.options.traceOf?.(item))
        attempt.park(item, failed.error, failed.attempts)
        continue
      }
      try {
        // Most handlers are synchronous: awaiting only real promises spares every item two microtask turns.
        const done = attempt.apply(item)
        if (done !== undefined) await done
      } catch (error) {
        // The handler read the store and the store failed: an outage, not a failure of this item.
        if (error instanceof DocumentReadError) return { key: undefined, error: error.cause }
        return { key, error }
      }
      open.applied++
    }
    try {
      if (attempt.settle) await attempt.settle()
    } catch (error) {
      // Settling reads documents: any error but an operation's is the store's.
      if (!(error instanceof DocumentOperationError)) return { key: undefined, error }
      return { key: error.position, error: error.cause ?? error }
    }
    return undefined
  }

  /**
   * Counts a failed attempt (`failure`, or none for a conflict or a partial
   * commit), then builds the open batch again from fresh reads until it
   * builds without failing: an item that keeps failing is parked on its
   * last attempt; a store that fails is waited for.
   */
  private async redo<A extends BatchAttempt<T>>(open: Open<T, A>, failure: Failure | undefined, source: EngineSource<T>, sink: EngineSink<T, A>): Promise<void> {
    let outages = 0
    for (;;) {
      if (failure?.key !== undefined) {
        const attempts = (open.failures.get(failure.key)?.attempts ?? 0) + 1
        open.failures.set(failure.key, { attempts, error: failure.error })
        if (attempts < this.maxAttempts) {
          this.counts = { ...this.counts, retries: this.counts.retries + 1 }
          await this.pause(backoffDelay(attempts + 1, this.retry))
        }
      } else if (failure) {
        await this.outage(failure.error, ++outages)
      }
      if (this.dropOnStop) return
      const attempt = sink.begin(false)
      open.attempt = attempt
      open.applied = 0
      failure = undefined
      for await (const chunk of source.replay ? source.replay(open.first, open.last) : [open.items!]) {
        failure = await this.apply(open, attempt, chunk)
        if (failure) break
      }
      if (!failure) return
    }
  }

  /** Commits the open batch, redoing it when the store refuses it for a reason an item or a fresh read explains. */
  private async commit<A extends BatchAttempt<T>>(source: EngineSource<T>, sink: EngineSink<T, A>): Promise<void> {
    const open = this.open as Open<T, A>
    let conflicts = 0
    for (let outages = 0; ; ) {
      // A redo that a dropping stop ended left an attempt that must not be committed.
      if (this.dropOnStop) return
      await this.checkGeneration()
      let result: { writes: number; parked: number }
      try {
        result = await sink.commit(open.attempt, open)
      } catch (error) {
        if (error instanceof LeaseLostError) throw error
        if (error instanceof DocumentOperationError) {
          await this.redo(open, { key: error.position, error: error.cause ?? error }, source, sink)
          continue
        }
        // Another worker wrote a shared document, or appended to a stream the batch appends to: recompute from fresh reads.
        if (error instanceof DocumentConflictError || error instanceof ConcurrencyError) {
          // Workers that share a hot document would otherwise redo in lockstep: back off, with jitter, after the first.
          this.counts = { ...this.counts, conflicts: this.counts.conflicts + 1 }
          if (++conflicts > 1) await this.pause(backoffDelay(conflicts, this.retry))
          await this.redo(open, undefined, source, sink)
          continue
        }
        // The store refused a document for its content or a unique key: the item that last wrote it fails, and is parked in the end.
        const culprit = refusedDocument(error, open.attempt)
        if (culprit !== undefined) {
          await this.redo(open, { key: culprit, error }, source, sink)
          continue
        }
        await this.outage(error, ++outages)
        // Part of a commit without a transaction may be stored: redo from fresh reads, which the stored positions guard.
        if (!sink.atomic) await this.redo(open, undefined, source, sink)
        continue
      }
      const c = this.counts
      const occurredAt = this.options.occurredAt?.(open.last)
      this.counts = {
        ...c,
        eventsRead: c.eventsRead + open.read,
        eventsApplied: c.eventsApplied + open.applied,
        writes: c.writes + result.writes,
        batches: c.batches + 1,
        parked: c.parked + result.parked,
        lag: occurredAt === undefined ? c.lag : Math.max(0, Date.now() - occurredAt),
      }
      this.open = undefined
      this.telemetry.committed(open.span, open.countsAtOpen, this.counts)
      await sink.committed?.(open.attempt, open)
      this.options.onCommit?.(this.counts)
      return
    }
  }

  /**
   * Reports a store error that will be retried, and waits before the retry.
   * @throws it once the worker was asked to stop and the store still fails, or at once when it is permanent.
   */
  private async outage(error: unknown, outages: number): Promise<void> {
    // A read-only, full, corrupt or closed store fails every retry the same way.
    if (isPermanentStoreError(error) || error instanceof StoreClosedError) throw error
    ;(this.options.onError ?? defaultOnError)(error)
    this.counts = { ...this.counts, retries: this.counts.retries + 1 }
    await this.pause(backoffDelay(outages + 1, this.retry))
    if (this.stopping && outages > 2) throw error
  }

  /**
   * An idle worker has no commit to check the generation before: after a
   * reset on a quiet log, readers would see the new, empty generation until
   * the next append. It checks every {@link IDLE_GENERATION_CHECK_MS} instead;
   * a store error there is reported and the check tried again later.
   * @throws the sink's `switched(active)` when another generation became active.
   */
  private async checkGenerationWhileIdle(): Promise<void> {
    const g = this.generation
    if (!g || performance.now() - this.generationCheckedAt < IDLE_GENERATION_CHECK_MS) return
    this.generationCheckedAt = performance.now()
    let active: number | undefined
    try {
      active = await generationSwitchedFrom(g.states, g.projection, g.generation)
    } catch (error) {
      if (isPermanentStoreError(error) || error instanceof StoreClosedError) throw error
      ;(this.options.onError ?? defaultOnError)(error)
      return
    }
    if (active !== undefined) throw g.switched(active)
  }

  /** @throws the sink's `switched(active)` when another generation than the one written to became active. */
  private async checkGeneration(): Promise<void> {
    const g = this.generation
    if (!g) return
    this.generationCheckedAt = performance.now()
    const active = await generationSwitchedFrom(g.states, g.projection, g.generation)
    if (active !== undefined) throw g.switched(active)
  }

  /** Waits `ms`, or until stopped; the timer goes with the wait, so a stopped worker does not keep its process alive. */
  private pause(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
    return Promise.race([elapsed, this.stopped]).finally(() => clearTimeout(timer))
  }
}

/** The item blamed for a document the store refused (content, unique key, an invalid value), if the attempt wrote it. */
const refusedDocument = (error: unknown, attempt: BatchAttempt<unknown>): bigint | undefined => {
  if (error instanceof DocumentRejectedError || error instanceof DuplicateDocumentError) return attempt.lastWriterOf?.(error.collection, error.id)
  if (error instanceof InvalidDocumentOperationError && error.id !== undefined) return attempt.lastWriterOf?.(error.collection, error.id)
  return undefined
}

const defaultOnError = (error: unknown): void => {
  logger().warn({ err: error }, 'worker: store error, retrying')
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
