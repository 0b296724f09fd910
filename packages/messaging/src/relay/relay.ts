import { EventfoldError, type EventStore } from '@eventfold/core'
import { logger } from '@eventfold/core/spi'
import { isDocumentConflictError, type DocumentStore } from '@eventfold/projections'
import { LeaseHost, type BatchPolicy, type LeasedRun, type LeaseFence } from '@eventfold/projections/engine'
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
  private readonly host: LeaseHost<RelayWorker>
  /** The partition index of each lease key. */
  private readonly indexOf = new Map<string, number>()
  private readonly last = new Map<number, RelayProgress>()

  /** @throws {RangeError} for a partition count outside 1..1024. */
  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'default'
    this.partitions = options.partitions ?? 1
    if (!Number.isSafeInteger(this.partitions) || this.partitions < 1 || this.partitions > 1024) {
      throw new RangeError(`partitions must be 1..1024, got ${this.partitions}`)
    }
    for (let index = 0; index < this.partitions; index++) this.indexOf.set(relayPartitionName(this.name, { index, count: this.partitions }), index)
    this.host = new LeaseHost<RelayWorker>({
      documents: options.documents,
      keys: [...this.indexOf.keys()],
      heartbeat: { collection: RELAY_HOSTS_COLLECTION, id: (owner) => `${this.name}:${owner}`, group: { relay: this.name } },
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      // One failed partition stops the relay: a relay that publishes some partitions and not others hides the failure.
      stopOnFailure: true,
      start: (key, fence) => this.start(this.indexOf.get(key)!, fence),
      onLease: ({ kind, key, owner }) => this.options.onLease?.({ kind, partition: partitionKey({ index: this.indexOf.get(key)!, count: this.partitions }), owner }),
      onError: (error) => logger().warn({ relay: this.name, owner: this.owner, err: error }, `relay ${this.name} (${this.owner})`),
    })
    this.owner = this.host.owner
  }

  /** Progress of every partition this process has run, by partition key. */
  get status(): RelayProgress[] {
    const all = new Map(this.last)
    for (const [key, worker] of this.host.workers) all.set(this.indexOf.get(key)!, worker.status)
    return [...all.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)
  }

  /** Partition keys this process publishes now. */
  get owned(): string[] {
    return [...this.host.workers.keys()]
      .map((key) => this.indexOf.get(key)!)
      .sort((a, b) => a - b)
      .map((index) => partitionKey({ index, count: this.partitions }))
  }

  /** Makes {@link run} end: every partition publishes and checkpoints its open batch, then gives its lease back. */
  async stop(): Promise<void> {
    // `run` waits for the host to stop and reports what went wrong.
    void this.host.stop().catch(() => undefined)
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
    if (this.options.stopAtHead) {
      await this.host.catchUp()
    } else {
      this.host.start()
      await this.host.stopRequested
    }
    await this.host.stop()
    if (this.host.failure !== undefined) throw this.host.failure
    return this.status
  }

  private start(index: number, fence: LeaseFence): LeasedRun<RelayWorker> {
    const partition = { index, count: this.partitions }
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
    const done = worker.run().then(
      (progress) => void this.last.set(index, progress),
      (error: unknown) => {
        this.last.set(index, worker.status)
        throw error
      },
    )
    return { worker, done }
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
}

/** True when `error` is a {@link RelayPartitionCountMismatchError}. */
export const isRelayPartitionCountMismatchError = (error: unknown): error is RelayPartitionCountMismatchError =>
  error instanceof RelayPartitionCountMismatchError
