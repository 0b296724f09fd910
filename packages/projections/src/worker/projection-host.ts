import type { EventRegistry, EventStore } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { LeaseHost } from './lease-host'
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
  private readonly host: LeaseHost<ProjectionWorker>

  constructor(options: ProjectionHostOptions) {
    const { projections, partitions } = options
    const partitionOf = new Map<string, { projection: ProjectionDefinition; index: number }>()
    for (const projection of projections) {
      for (let index = 0; index < partitions; index++) {
        partitionOf.set(`${projection.name}#${partitionKey({ index, count: partitions })}`, { projection, index })
      }
    }
    this.host = new LeaseHost<ProjectionWorker>({
      documents: options.documents,
      keys: [...partitionOf.keys()],
      heartbeat: { collection: HOSTS },
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      start: (key, fence) => {
        const { projection, index } = partitionOf.get(key)!
        const hosted: HostedWorkerOptions = {
          eventStore: options.eventStore,
          documents: options.documents,
          projection,
          partition: { index, count: partitions },
          fence,
          ...(options.registry ? { registry: options.registry } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        }
        const worker = new ProjectionWorker(hosted)
        return { worker, done: worker.run() }
      },
      onLease: ({ kind, key, owner }) => {
        const [projection, partition] = key.split('#') as [string, string]
        options.onLease?.({ kind, projection, partition, owner })
      },
    })
    this.owner = this.host.owner
  }

  /** Partition keys (`<projection>#<i>/<n>`) this host runs now. */
  get owned(): string[] {
    return this.host.owned
  }

  /** Starts taking partitions; returns at once. */
  start(): void {
    this.host.start()
  }

  /** Stops every worker after its in-flight batch and releases the leases. */
  stop(): Promise<void> {
    return this.host.stop()
  }
}
