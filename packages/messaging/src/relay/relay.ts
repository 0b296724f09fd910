import { randomUUID } from 'node:crypto'
import { logger } from '@eventfold/core/spi'
import { hostname } from 'node:os'
import { EventfoldError, type EventStore } from '@eventfold/core'
import { isDocumentConflictError, LeaseLostError, type DocumentStore } from '@eventfold/projections'
import { LeaseFence, Leases, type BatchPolicy } from '@eventfold/projections/engine'
import { partitionKey } from '@eventfold/projections/spi'
import type { Publications } from '../publishing/publications'
import type { Transport } from '../transport/transport'
import { RELAY_HOSTS_COLLECTION, RELAY_STATE_COLLECTION, relayPartitionName } from './relay-names'
import { RelayWorker, type RelayProgress } from './relay-worker'

/** The relay's checkpoints were made with another partition count: changing it would publish or skip events. */
export class RelayPartitionCountMismatchError extends EventfoldError {
  readonly type = 'RelayPartitionCountMismatchError'
  constructor(
    readonly relay: string,
    readonly stored: number,
    readonly requested: number,
  ) {
    super(`relay '${relay}' runs with ${stored} partition(s), not ${requested}`)
  }
}

/** Options of {@link Relay}. */
export interface RelayOptions extends BatchPolicy {
  readonly eventStore: EventStore
  /** The producer's own document store (the one that holds its projection checkpoints): relay checkpoints, leases and parked events. */
  readonly documents: DocumentStore
  readonly transport: Transport
  readonly publications: Publications
  /** Names the relay's checkpoints and leases. @default 'default' */
  readonly name?: string
  /** Partitions of the log (by hash of stream id), shared by every process running this relay. @default 1 */
  readonly partitions?: number
  /** Publish up to the head, then stop (catch-up); partitions another process holds are skipped. @default false */
  readonly stopAtHead?: boolean
  /** This process's name in leases. @default `<hostname>:<pid>:<random>` */
  readonly owner?: string
  /** A lease not renewed for this long is taken over. @default 10000 */
  readonly leaseTtlMs?: number
  /** How often leases are renewed and free partitions looked for. @default leaseTtlMs / 4 */
  readonly tickMs?: number
  /** Told after each checkpoint a partition stores. */
  readonly onProgress?: (progress: RelayProgress) => void
  /** Told when this process takes or gives up a partition. */
  readonly onLease?: (event: { readonly kind: 'acquired' | 'lost' | 'released'; readonly partition: string; readonly owner: string }) => void
}

/** A process not seen for this many lease times is forgotten. */
const STALE_HOST_TTLS = 10

interface Running {
  readonly worker: RelayWorker
  readonly fence: LeaseFence
  readonly done: Promise<void>
}

/**
 * The log as the outbox: publishes the chosen events of the log through a
 * transport, partition by partition. Each partition is owned through a
 * lease in the producer's document store, so several processes running the
 * same relay share the partitions (each takes its fair share, and takes
 * over those of a process that stopped renewing).
 *
 * @example
 * ```ts
 * const relay = new Relay({ eventStore, documents, transport, publications, partitions: 4 })
 * const running = relay.run()
 * // …
 * await relay.stop()
 * const progress = await running
 * ```
 */
export class Relay {
  readonly name: string
  readonly owner: string
  private readonly partitions: number
  private readonly ttl: number
  private readonly leases: Leases
  private readonly running = new Map<number, Running>()
  private readonly last = new Map<number, RelayProgress>()
  private readonly giving = new Set<Promise<void>>()
  private stopped = false
  private wakeStop!: () => void
  private readonly stopSignal = new Promise<void>((resolve) => (this.wakeStop = resolve))
  private failure: unknown

  /** @throws {RangeError} for a partition count outside 1..1024. */
  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'default'
    this.partitions = options.partitions ?? 1
    if (!Number.isSafeInteger(this.partitions) || this.partitions < 1 || this.partitions > 1024) {
      throw new RangeError(`partitions must be 1..1024, got ${this.partitions}`)
    }
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    this.ttl = options.leaseTtlMs ?? 10_000
    this.leases = new Leases(options.documents, this.owner, this.ttl)
  }

  /** Progress of every partition this process has run, by partition key. */
  get status(): RelayProgress[] {
    const all = new Map(this.last)
    for (const [index, r] of this.running) all.set(index, r.worker.status)
    return [...all.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)
  }

  /** Partition keys this process publishes now. */
  get owned(): string[] {
    return [...this.running.keys()].sort((a, b) => a - b).map((index) => partitionKey({ index, count: this.partitions }))
  }

  /** Makes {@link run} end: every partition publishes and checkpoints its open batch, then gives its lease back. */
  async stop(): Promise<void> {
    this.stopped = true
    this.wakeStop()
  }

  /**
   * Declares the topics, then publishes until {@link stop} (or, with
   * `stopAtHead`, until every partition it could take is caught up).
   * @returns the progress of the partitions this process ran.
   * @throws {@link RelayPartitionCountMismatchError}, {@link TopicMismatchError}, and a worker's failure (it stops the others).
   */
  async run(): Promise<RelayProgress[]> {
    const { transport, publications } = this.options
    await this.checkPartitionCount()
    for (const topic of publications.topics) await transport.declare(topic)
    if (this.options.stopAtHead) await this.catchUp()
    else await this.follow()
    if (this.failure !== undefined) throw this.failure
    return this.status
  }

  /** Takes every free partition once, and runs each to the head. */
  private async catchUp(): Promise<void> {
    const renewing = setInterval(() => void this.renewAll(), this.options.tickMs ?? this.ttl / 4)
    try {
      for (let index = 0; index < this.partitions && !this.stopped; index++) await this.take(index)
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), this.stopSignal])
    } finally {
      clearInterval(renewing)
      await this.giveAll()
    }
  }

  /** Shares the partitions with the other processes until stopped. */
  private async follow(): Promise<void> {
    const every = this.options.tickMs ?? this.ttl / 4
    while (!this.stopped && this.failure === undefined) {
      try {
        await this.tick()
      } catch (error) {
        logger().warn({ relay: this.name, owner: this.owner, err: error }, `relay ${this.name} (${this.owner})`)
      }
      let timer: NodeJS.Timeout | undefined
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, every))), this.stopSignal])
      clearTimeout(timer)
    }
    await this.giveAll()
    await this.heartbeat(true).catch(() => undefined)
  }

  /** Renews the leases held, gives back what is above the fair share, takes free partitions up to it. */
  private async tick(): Promise<void> {
    const hosts = await this.heartbeat(false)
    await this.renewAll()
    const share = Math.ceil(this.partitions / Math.max(1, hosts))
    for (const index of [...this.running.keys()].slice(share)) this.track(this.give(index, 'released'))
    for (let index = 0; index < this.partitions && this.running.size < share && !this.stopped; index++) {
      if (!this.running.has(index)) await this.take(index)
    }
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.running].map(async ([index, r]) => {
        if (!(await r.fence.renew().catch(() => true))) this.track(this.give(index, 'lost'))
      }),
    )
  }

  private async take(index: number): Promise<void> {
    const partition = { index, count: this.partitions }
    const lease = await this.leases.tryAcquire(relayPartitionName(this.name, partition))
    if (!lease) return
    const fence = new LeaseFence(this.leases, lease)
    const { eventStore, documents, transport, publications, stopAtHead, onProgress } = this.options
    const worker = new RelayWorker({
      ...this.options,
      name: this.name,
      eventStore,
      documents,
      transport,
      publications,
      partition,
      fence,
      stopAtHead: stopAtHead ?? false,
      onProgress: (progress) => {
        this.last.set(index, progress)
        onProgress?.(progress)
      },
    })
    let entry!: Running
    const done = worker.run().then(
      (progress) => void this.last.set(index, progress),
      (error: unknown) => {
        this.last.set(index, worker.status)
        if (this.running.get(index) === entry) this.running.delete(index)
        if (error instanceof LeaseLostError) {
          this.options.onLease?.({ kind: 'lost', partition: partitionKey(partition), owner: this.owner })
          return
        }
        // One failed partition stops the relay: a relay that publishes some partitions and not others hides the failure.
        this.failure ??= error
        // Another process may take the partition at once instead of after the lease time.
        this.track(fence.release())
        void this.stop()
      },
    )
    entry = { worker, fence, done }
    this.running.set(index, entry)
    this.options.onLease?.({ kind: 'acquired', partition: partitionKey(partition), owner: this.owner })
  }

  private async give(index: number, kind: 'lost' | 'released'): Promise<void> {
    const r = this.running.get(index)
    if (!r) return
    this.running.delete(index)
    r.worker.stop()
    await r.done
    const outcome = r.fence.lost ? 'lost' : kind
    if (outcome === 'released') await r.fence.release()
    this.options.onLease?.({ kind: outcome, partition: partitionKey({ index, count: this.partitions }), owner: this.owner })
  }

  private async giveAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((index) => this.give(index, 'released')))
    await Promise.all(this.giving)
  }

  private track(giving: Promise<void>): void {
    const tracked = giving.catch((error: unknown) => logger().warn({ relay: this.name, err: error }, `relay ${this.name}`))
    this.giving.add(tracked)
    void tracked.finally(() => this.giving.delete(tracked))
  }

  /** Records the partition count on first run; refuses another one later. */
  private async checkPartitionCount(): Promise<void> {
    const { documents } = this.options
    const current = (await documents.getMany(RELAY_STATE_COLLECTION, [this.name])).get(this.name)
    if (current) {
      const stored = current.doc.partitions as number
      if (stored !== this.partitions) throw new RelayPartitionCountMismatchError(this.name, stored, this.partitions)
      return
    }
    await documents
      .commit({
        writes: [
          { kind: 'put', collection: RELAY_STATE_COLLECTION, doc: { _id: this.name, partitions: this.partitions }, meta: { revision: 1, positions: {} }, expectedRevision: 0 },
        ],
      })
      .catch(async (error: unknown) => {
        // Another process recorded it first: check against what it recorded.
        if (!isDocumentConflictError(error)) throw error
        await this.checkPartitionCount()
      })
  }

  /** Records this process as alive (or gone) and returns how many processes run this relay. */
  private async heartbeat(leaving: boolean): Promise<number> {
    const { documents } = this.options
    const id = `${this.name}:${this.owner}`
    const now = Date.now()
    const current = (await documents.getMany(RELAY_HOSTS_COLLECTION, [id])).get(id)
    const expectedRevision = current?.meta.revision ?? 0
    if (leaving) {
      if (current) await documents.commit({ writes: [{ kind: 'delete', collection: RELAY_HOSTS_COLLECTION, id, expectedRevision }] })
      return 0
    }
    await documents.commit({
      writes: [
        {
          kind: 'put',
          collection: RELAY_HOSTS_COLLECTION,
          doc: { _id: id, relay: this.name, seenAt: now },
          meta: { revision: expectedRevision + 1, positions: {} },
          expectedRevision,
        },
      ],
    })
    // Processes that died without leaving would otherwise stay in the collection for good.
    const gone = await documents.find(RELAY_HOSTS_COLLECTION, { relay: this.name, seenAt: { $lt: now - STALE_HOST_TTLS * this.ttl } })
    if (gone.length > 0) {
      const stored = await documents.getMany(RELAY_HOSTS_COLLECTION, gone.map((d) => d._id))
      const writes = [...stored].map(([id, d]) => ({ kind: 'delete' as const, collection: RELAY_HOSTS_COLLECTION, id, expectedRevision: d.meta.revision }))
      // Another process may remove them first.
      await documents.commit({ writes }).catch((error: unknown) => {
        if (!isDocumentConflictError(error)) throw error
      })
    }
    return documents.count(RELAY_HOSTS_COLLECTION, { relay: this.name, seenAt: { $gt: now - this.ttl } })
  }
}

/** True when `error` is a {@link RelayPartitionCountMismatchError}. */
export const isRelayPartitionCountMismatchError = (error: unknown): error is RelayPartitionCountMismatchError =>
  error instanceof RelayPartitionCountMismatchError
