import { hostname } from 'node:os'
import { logger } from '@eventfold/core/spi'
import { randomUUID } from 'node:crypto'
import type { EventRegistry, EventStore } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { LeaseFence, LeaseLostError, Leases } from './leases'
import { partitionKey } from '../projection/partition'
import { ProjectionWorker, type HostedWorkerOptions, type WorkerProgress } from './projection-worker'

/** Options of {@link ProjectionHost}. */
export interface ProjectionHostOptions {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  readonly projections: readonly ProjectionDefinition[]
  /** Partitions of each projection, shared by every host. */
  readonly partitions: number
  /** This process's name in leases. @default `<hostname>:<pid>:<random>` */
  readonly owner?: string
  /** A lease not renewed for this long is taken over. @default 10000 */
  readonly leaseTtlMs?: number
  /** How often leases are renewed and free partitions looked for. @default leaseTtlMs / 4 */
  readonly tickMs?: number
  readonly registry?: EventRegistry
  /** @default 1000 */
  readonly batchSize?: number
  readonly onProgress?: (progress: WorkerProgress) => void
  /** Told when a partition is taken or given up. */
  readonly onLease?: (event: { kind: 'acquired' | 'lost' | 'released'; projection: string; partition: string; owner: string }) => void
}

const HOSTS = '_ef_hosts'

interface Running {
  readonly worker: ProjectionWorker
  readonly fence: LeaseFence
  readonly done: Promise<unknown>
}

/**
 * Runs a share of the partitions of some projections in this process, while
 * other processes (on the same store) run the rest. Each partition is owned
 * through a lease: a host takes free or expired leases up to its fair share
 * (partitions ÷ live hosts, rounded up), renews them, and a host that dies
 * stops renewing, so after the lease time another host takes its partitions
 * over from their checkpoints.
 */
export class ProjectionHost {
  readonly owner: string
  private readonly leases: Leases
  private readonly running = new Map<string, Running>()
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private renewTimer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  /** Workers being given up after their lease was lost, outside the loops. */
  private readonly giving = new Set<Promise<void>>()
  /** Live hosts counted at the last heartbeat. */
  private hosts = 1
  private stopped = false
  private readonly ttl: number

  constructor(private readonly options: ProjectionHostOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    this.ttl = options.leaseTtlMs ?? 10_000
    this.leases = new Leases(options.documents, this.owner, this.ttl)
  }

  /** Partition keys (`<projection>#<i>/<n>`) this host runs now. */
  get owned(): string[] {
    return [...this.running.keys()].sort()
  }

  /** Starts taking partitions; returns at once. */
  start(): void {
    const every = this.options.tickMs ?? this.ttl / 4
    const warn = (error: unknown) => this.warn(error)
    // Heartbeat and lease renewals run on a loop of their own: a tick can
    // take long (taking partitions one by one, waiting for the last batch of
    // a worker it gives back), and a busy host must not lose its partitions,
    // nor look dead to the others, meanwhile.
    const renew = () => {
      if (this.stopped) return
      this.renewing = this.renew().catch(warn)
      void this.renewing.finally(() => {
        if (!this.stopped) this.renewTimer = setTimeout(renew, every)
      })
    }
    const tick = () => {
      if (this.stopped) return
      this.ticking = this.tick().catch(warn)
      void this.ticking.finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, every)
      })
    }
    renew()
    // The first tick counts the hosts of the first heartbeat.
    void this.renewing!.finally(tick)
  }

  /** Stops every worker after its in-flight batch and releases the leases. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    clearTimeout(this.renewTimer)
    await this.renewing
    await this.ticking
    await Promise.all([...this.running.keys()].map((key) => this.give(key, 'released')))
    await Promise.all(this.giving)
    await this.heartbeat(true)
  }

  /** Records this host as alive, and renews every lease it holds (at once); gives up the lost ones. */
  private async renew(): Promise<void> {
    this.hosts = await this.heartbeat(false)
    await Promise.all(
      [...this.running].map(async ([key, r]) => {
        if (await r.fence.renew()) return
        // Not awaited here: the worker may be in the middle of a batch, and the other leases are due.
        const giving = this.give(key, 'lost').catch((error: unknown) => this.warn(error))
        this.giving.add(giving)
        void giving.finally(() => this.giving.delete(giving))
      }),
    )
  }

  private warn(error: unknown): void {
    logger().warn({ owner: this.owner, err: error }, `host ${this.owner}`)
  }

  private async tick(): Promise<void> {
    const { projections, partitions } = this.options
    const total = projections.length * partitions
    const share = Math.ceil(total / Math.max(1, this.hosts))
    // Give back what is above the fair share so newcomers get work.
    for (const key of [...this.running.keys()].slice(share)) await this.give(key, 'released')
    for (const projection of projections) {
      for (let index = 0; index < partitions && this.running.size < share && !this.stopped; index++) {
        const partition = partitionKey({ index, count: partitions })
        const key = `${projection.name}#${partition}`
        if (this.running.has(key)) continue
        const lease = await this.leases.tryAcquire(key)
        if (!lease) continue
        const fence = new LeaseFence(this.leases, lease)
        const options: HostedWorkerOptions = {
          eventStore: this.options.eventStore,
          documents: this.options.documents,
          projection,
          partition: { index, count: partitions },
          fence,
          ...(this.options.registry ? { registry: this.options.registry } : {}),
          ...(this.options.batchSize ? { batchSize: this.options.batchSize } : {}),
          ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
        }
        const worker = new ProjectionWorker(options)
        let entry!: Running
        const done = worker.run().catch((error: unknown) => {
          if (!(error instanceof LeaseLostError)) logger().warn({ owner: this.owner, partition: key, err: error }, `host ${this.owner}, ${key}`)
          // A worker being given up ends here too: `give` reports it, once.
          if (this.running.get(key) !== entry) return
          this.running.delete(key)
          this.options.onLease?.({ kind: 'lost', projection: projection.name, partition, owner: this.owner })
        })
        entry = { worker, fence, done }
        this.running.set(key, entry)
        this.options.onLease?.({ kind: 'acquired', projection: projection.name, partition, owner: this.owner })
      }
    }
  }

  private async give(key: string, kind: 'lost' | 'released'): Promise<void> {
    const r = this.running.get(key)
    if (!r) return
    this.running.delete(key)
    await r.worker.stop()
    await r.done
    // A lease taken over while the worker finished its batch is lost, not released.
    const outcome = r.fence.lost ? 'lost' : kind
    if (outcome === 'released') await r.fence.release()
    const [projection, partition] = key.split('#') as [string, string]
    this.options.onLease?.({ kind: outcome, projection, partition, owner: this.owner })
  }

  /** Records this host as alive (or gone) and returns how many hosts are alive. */
  private async heartbeat(leaving: boolean): Promise<number> {
    const { documents } = this.options
    const now = Date.now()
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = (await documents.getMany(HOSTS, [this.owner])).get(this.owner)
      const expectedRevision = current?.meta.revision ?? 0
      try {
        await documents.commit({
          writes: leaving
            ? current
              ? [{ kind: 'delete', collection: HOSTS, id: this.owner, expectedRevision }]
              : []
            : [{ kind: 'put', collection: HOSTS, doc: { _id: this.owner, seenAt: now }, meta: { revision: expectedRevision + 1, positions: {} }, expectedRevision }],
        })
        break
      } catch {
        // Only this host writes its own document; a failure is transient.
      }
    }
    return documents.count(HOSTS, { seenAt: { $gt: now - this.ttl } })
  }
}
