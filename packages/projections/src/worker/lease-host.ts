import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { DocumentStore } from '../documents/document-store'
import { logger } from '@eventfold/core/spi'
import { isDocumentConflictError } from '../errors/errors'
import { LeaseFence, LeaseLostError, Leases } from './leases'

/** A worker a {@link LeaseHost} runs on one leased partition. */
export interface LeasedWorker {
  /** Asks the worker to end after its in-flight batch; its `done` settles then. */
  stop(): unknown
}

/** What {@link LeaseHostOptions.start} returns: the worker and the promise of its run. */
export interface LeasedRun<W extends LeasedWorker> {
  readonly worker: W
  /** Settles when the worker ends; rejects with its failure ({@link LeaseLostError} when its lease was taken over). */
  readonly done: Promise<unknown>
}

/** Where hosts sharing the same partitions record that they are alive. */
export interface HostHeartbeat {
  /** The collection of heartbeats, in the host's document store. */
  readonly collection: string
  /** This host's heartbeat document id, from its owner name. @default the owner name */
  readonly id?: (owner: string) => string
  /** Fields stored in the heartbeat that every host of the same group shares; hosts are counted by them. @default none */
  readonly group?: Readonly<Record<string, string>>
}

/** A partition taken, lost (taken over, or its worker failed) or given back. */
export interface LeaseChange {
  readonly kind: 'acquired' | 'lost' | 'released'
  /** The lease key of the partition. */
  readonly key: string
  readonly owner: string
}

/** Options of {@link LeaseHost}. */
export interface LeaseHostOptions<W extends LeasedWorker> {
  /** The store of leases and heartbeats, shared by every host. */
  readonly documents: DocumentStore
  /** The lease keys of the partitions to share, in the order they are taken. */
  readonly keys: readonly string[]
  readonly heartbeat: HostHeartbeat
  /** Starts the worker of a partition whose lease this host just took; each of its commits goes through `fence`. */
  readonly start: (key: string, fence: LeaseFence) => LeasedRun<W>
  /** This process's name in leases. @default `<hostname>:<pid>:<random>` */
  readonly owner?: string
  /** A lease not renewed for this long is taken over. @default 10000 */
  readonly leaseTtlMs?: number
  /** How often leases are renewed and free partitions looked for. @default leaseTtlMs / 4 */
  readonly tickMs?: number
  /**
   * A worker that fails (not by losing its lease) stops the whole host: its
   * lease is given back at once and {@link LeaseHost.failure} holds the error.
   * Otherwise its partition is reported lost and taken again at a later tick.
   * @default false
   */
  readonly stopOnFailure?: boolean
  readonly onLease?: (change: LeaseChange) => void
  /** Told about errors the host retries (a failed heartbeat or lease read). @default a process warning */
  readonly onError?: (error: unknown) => void
}

/** A host not seen for this many lease times is forgotten. */
const FORGET_AFTER_TTLS = 10

interface Running<W extends LeasedWorker> {
  readonly worker: W
  readonly fence: LeaseFence
  readonly done: Promise<void>
}

/**
 * Runs a share of some partitions in this process while other processes
 * (on the same document store) run the rest. Each partition is owned
 * through a lease: a host takes free or expired leases up to its fair
 * share (partitions ÷ live hosts, rounded up), renews them, and a host that
 * dies stops renewing, so after the lease time another host takes its
 * partitions over. Projection hosts and the relay are this host with their
 * own workers.
 */
export class LeaseHost<W extends LeasedWorker> {
  readonly owner: string
  /** The first failure of a worker, with `stopOnFailure`. */
  failure: unknown
  private readonly leases: Leases
  private readonly ttl: number
  private readonly every: number
  private readonly running = new Map<string, Running<W>>()
  /** Workers being given up outside the loops (lost leases, failures). */
  private readonly giving = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private renewTimer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** Live hosts counted at the last heartbeat. */
  private hosts = 1
  private beating = false
  private stopped = false
  private wakeStop!: () => void
  private readonly stopSignal = new Promise<void>((resolve) => (this.wakeStop = resolve))

  constructor(private readonly options: LeaseHostOptions<W>) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    this.ttl = options.leaseTtlMs ?? 10_000
    this.every = options.tickMs ?? this.ttl / 4
    this.leases = new Leases(options.documents, this.owner, this.ttl)
  }

  /** Lease keys of the partitions this host runs now, sorted. */
  get owned(): string[] {
    return [...this.running.keys()].sort()
  }

  /** The workers running now, by lease key. */
  get workers(): ReadonlyMap<string, W> {
    return new Map([...this.running].map(([key, r]) => [key, r.worker]))
  }

  /** Resolves once {@link stop} is called (or a failure stopped the host). */
  get stopRequested(): Promise<void> {
    return this.stopSignal
  }

  /** Starts sharing the partitions with the other hosts until {@link stop}; returns at once. */
  start(): void {
    if (this.stopped) return
    const warn = (error: unknown) => this.warn(error)
    // Heartbeat and lease renewals run on a loop of their own: a tick can
    // take long (taking partitions one by one, waiting for the last batch of
    // a worker it gives back), and a busy host must not lose its partitions,
    // nor look dead to the others, meanwhile.
    const renew = () => {
      if (this.stopped) return
      this.renewing = this.renew(true).catch(warn)
      void this.renewing.finally(() => {
        if (!this.stopped) this.renewTimer = setTimeout(renew, this.every)
      })
    }
    const tick = () => {
      if (this.stopped) return
      this.ticking = this.tick().catch(warn)
      void this.ticking.finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.every)
      })
    }
    renew()
    // The first tick counts the hosts of the first heartbeat.
    void this.renewing!.finally(tick)
  }

  /**
   * Takes every free partition once (no share: the run ends), and waits until
   * their workers end or {@link stop} is called; then gives the leases back.
   */
  async catchUp(): Promise<void> {
    const renewing = setInterval(() => void this.renew(false).catch((error: unknown) => this.warn(error)), this.every)
    try {
      for (const key of this.options.keys) {
        if (this.stopped) break
        await this.take(key)
      }
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), this.stopSignal])
    } finally {
      clearInterval(renewing)
      await this.giveAll()
    }
  }

  /** Stops every worker after its in-flight batch, gives the leases back and leaves the hosts; the same promise on every call. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown()
    return this.stopping
  }

  private async shutDown(): Promise<void> {
    this.stopped = true
    this.wakeStop()
    clearTimeout(this.timer)
    clearTimeout(this.renewTimer)
    await this.renewing
    await this.ticking
    await this.giveAll()
    if (this.beating) await this.leave().catch((error: unknown) => this.warn(error))
  }

  /** Records this host as alive (when sharing), and renews every lease it holds; gives up the lost ones. */
  private async renew(beat: boolean): Promise<void> {
    if (beat) {
      // A failed heartbeat keeps the last count: the leases are due all the same.
      try {
        this.hosts = await this.beat()
      } catch (error) {
        this.warn(error)
      }
    }
    await Promise.all(
      [...this.running].map(async ([key, r]) => {
        if (await r.fence.renew()) return
        // Not awaited here: the worker may be in the middle of a batch, and the other leases are due.
        this.track(this.give(key, 'lost'))
      }),
    )
  }

  /** Gives back what is above the fair share, so newcomers get work, and takes free partitions up to it. */
  private async tick(): Promise<void> {
    const { keys } = this.options
    const share = Math.ceil(keys.length / Math.max(1, this.hosts))
    for (const key of [...this.running.keys()].slice(share)) await this.give(key, 'released')
    for (const key of keys) {
      if (this.running.size >= share || this.stopped) break
      if (!this.running.has(key)) await this.take(key)
    }
  }

  private async take(key: string): Promise<void> {
    const lease = await this.leases.tryAcquire(key)
    if (!lease) return
    const fence = new LeaseFence(this.leases, lease)
    const run = this.options.start(key, fence)
    let entry!: Running<W>
    const done = run.done.then(
      () => undefined,
      (error: unknown) => {
        const current = this.running.get(key) === entry
        // A worker being given up ends here too: `give` reports it, once.
        if (current) this.running.delete(key)
        if (error instanceof LeaseLostError) {
          if (current) this.options.onLease?.({ kind: 'lost', key, owner: this.owner })
          return
        }
        if (this.options.stopOnFailure) {
          this.failure ??= error
          // Another process may take the partition at once instead of after the lease time.
          this.track(fence.release())
          void this.stop()
          return
        }
        this.warn(error, key)
        if (current) this.options.onLease?.({ kind: 'lost', key, owner: this.owner })
      },
    )
    entry = { worker: run.worker, fence, done }
    this.running.set(key, entry)
    this.options.onLease?.({ kind: 'acquired', key, owner: this.owner })
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
    this.options.onLease?.({ kind: outcome, key, owner: this.owner })
  }

  private async giveAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((key) => this.give(key, 'released')))
    await Promise.all(this.giving)
  }

  private track(giving: Promise<void>): void {
    const tracked = giving.catch((error: unknown) => this.warn(error))
    this.giving.add(tracked)
    void tracked.finally(() => this.giving.delete(tracked))
  }

  private warn(error: unknown, key?: string): void {
    if (this.options.onError) return this.options.onError(error)
    logger().warn({ owner: this.owner, ...(key ? { partition: key } : {}), err: error }, `host ${this.owner}${key ? `, ${key}` : ''}`)
  }

  private get heartbeatId(): string {
    return this.options.heartbeat.id?.(this.owner) ?? this.owner
  }

  /** Records this host as alive, forgets hosts long gone, and returns how many hosts of the group are alive. */
  private async beat(): Promise<number> {
    const { documents } = this.options
    const { collection, group = {} } = this.options.heartbeat
    const id = this.heartbeatId
    const now = Date.now()
    const current = (await documents.getMany(collection, [id])).get(id)
    const expectedRevision = current?.meta.revision ?? 0
    // Only this host writes its own document: a conflict is not expected, and the next heartbeat writes again.
    await documents.commit({
      writes: [{ kind: 'put', collection, doc: { _id: id, ...group, seenAt: now }, meta: { revision: expectedRevision + 1, positions: {} }, expectedRevision }],
    })
    this.beating = true
    // Hosts that died without leaving would otherwise stay in the collection for good.
    const gone = await documents.find(collection, { ...group, seenAt: { $lt: now - FORGET_AFTER_TTLS * this.ttl } })
    if (gone.length > 0) {
      const stored = await documents.getMany(collection, gone.map((d) => d._id))
      const writes = [...stored].map(([goneId, d]) => ({ kind: 'delete' as const, collection, id: goneId, expectedRevision: d.meta.revision }))
      // Another host may remove them first.
      await documents.commit({ writes }).catch((error: unknown) => {
        if (!isDocumentConflictError(error)) throw error
      })
    }
    return documents.count(collection, { ...group, seenAt: { $gt: now - this.ttl } })
  }

  /** Removes this host's heartbeat, so the others count one host less at once. */
  private async leave(): Promise<void> {
    const { documents } = this.options
    const { collection } = this.options.heartbeat
    const id = this.heartbeatId
    const current = (await documents.getMany(collection, [id])).get(id)
    if (current) await documents.commit({ writes: [{ kind: 'delete', collection, id, expectedRevision: current.meta.revision }] })
  }
}
