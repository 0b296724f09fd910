import type { EventRegistry, EventStore } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { beginRebuild, switchGeneration } from '../generations/generations'
import { ProjectionStates } from '../generations/projection-state'
import type { LeaseFence } from '../worker/leases'
import { PartitionCountMismatchError, ProjectionWorker, type HostedWorkerOptions, type WorkerProgress } from '../worker/projection-worker'
import { acquireRebuildLease } from './rebuild-lease'

/** Progress of a rebuild, summed over its partitions. */
export interface RebuildProgress {
  readonly projection: string
  readonly generation: number
  /** Lowest checkpoint over the partitions. */
  readonly position: bigint | undefined
  /** Head of the log when the rebuild (or its resumption) started. */
  readonly head: bigint | undefined
  readonly eventsRead: number
  readonly eventsApplied: number
  readonly writes: number
  readonly parked: number
  readonly resumed: boolean
}

/** Options of {@link rebuildProjection}. */
export interface RebuildOptions {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  readonly projection: ProjectionDefinition
  /** @default the active generation's partition count, or 1 */
  readonly partitions?: number
  readonly registry?: EventRegistry
  /**
   * Events per batch: one commit each, one write per document the batch
   * changed. A rebuild has the whole log to read, so its batches are larger
   * than a live worker's: fewer commits, and a document changed by several
   * events of a batch is written once. A batch also commits after a second
   * of work, so progress and checkpoints stay regular. Memory does not grow
   * with it: a batch holds documents, not events.
   * @default 100,000
   */
  readonly batchSize?: number
  /** Documents each partition keeps in memory between batches. @default 100,000 */
  readonly keepDocuments?: number
  readonly onProgress?: (progress: RebuildProgress) => void
  /** Stops the rebuild after the batches in flight; it stays resumable. */
  readonly signal?: AbortSignal
  /**
   * Switch readers to the new generation once it has caught up. False leaves
   * it built beside the active one, still recorded as the rebuild in
   * progress, so that it can be compared (see {@link previewRebuild}) and a
   * later rebuild resumes and switches it.
   * @default true
   */
  readonly switchReaders?: boolean
  /** This process's name in the rebuild's lease. @default `<hostname>:<pid>:<random>` */
  readonly owner?: string
  /** The rebuild's lease ends this long after its last renewal: a crashed rebuild can be taken over after it. @default 10000 */
  readonly leaseTtlMs?: number
}

/** What a rebuild did. */
export interface RebuildResult extends RebuildProgress {
  readonly previousGeneration: number | undefined
  /** False when `signal` stopped the rebuild before it caught up with the head. */
  readonly completed: boolean
}

/**
 * Rebuilds a projection into a new generation of its collections from
 * position 0 while the active generation keeps serving readers; when the new
 * one has caught up with the head, readers switch to it in one
 * compare-and-set of the projection state, and the old generation is dropped.
 *
 * Resumable: after a crash, calling it again continues the rebuild in
 * progress from its own checkpoints.
 *
 * Exclusive: a rebuild holds the lease `rebuild/<projection>`, renewed by
 * every commit and at the switch, so a second rebuild (or a resumption)
 * fails at once while the first runs, and one that lost its lease cannot
 * write or switch. A crashed rebuild's lease expires after `leaseTtlMs`.
 * @throws {@link RebuildOwnedError} when another process is rebuilding the projection.
 * @throws {@link LeaseLostError} when another process took the lease over during the rebuild.
 */
export const rebuildProjection = async ({
  eventStore,
  documents,
  projection,
  partitions,
  registry,
  batchSize = 100_000,
  keepDocuments = 100_000,
  onProgress,
  signal,
  switchReaders = true,
  owner,
  leaseTtlMs,
}: RebuildOptions): Promise<RebuildResult> => {
  const lease = await acquireRebuildLease(documents, projection.name, { ...(owner !== undefined ? { owner } : {}), ...(leaseTtlMs !== undefined ? { ttlMs: leaseTtlMs } : {}) })
  try {
    return await rebuildHolding(lease.fence, { eventStore, documents, projection, partitions, registry, batchSize, keepDocuments, onProgress, signal, switchReaders })
  } finally {
    await lease.release()
  }
}

const rebuildHolding = async (
  fence: LeaseFence,
  { eventStore, documents, projection, partitions, registry, batchSize, keepDocuments, onProgress, signal, switchReaders }: RebuildOptions & { batchSize: number; keepDocuments: number; switchReaders: boolean },
): Promise<RebuildResult> => {
  const before = await new ProjectionStates(documents).get(projection.name)
  if (before?.rebuilding && partitions !== undefined && partitions !== before.rebuilding.partitions) {
    throw new PartitionCountMismatchError(projection.name, before.rebuilding.partitions, partitions)
  }
  const target = await beginRebuild(documents, projection, partitions)
  const { resumed } = target
  const head = await eventStore.headPosition()
  const perPartition = new Map<string, WorkerProgress>()
  const report = (): RebuildProgress => {
    const all = [...perPartition.values()]
    const checkpoints = all.map((p) => p.checkpoint)
    return {
      projection: projection.name,
      generation: target.generation,
      position: checkpoints.includes(undefined) || checkpoints.length === 0 ? undefined : checkpoints.reduce((a, b) => (a! < b! ? a : b)),
      head,
      eventsRead: all.reduce((s, p) => s + p.eventsRead, 0),
      eventsApplied: all.reduce((s, p) => s + p.eventsApplied, 0),
      writes: all.reduce((s, p) => s + p.writes, 0),
      parked: all.reduce((s, p) => s + p.parked, 0),
      resumed,
    }
  }
  const workers: ProjectionWorker[] = []
  const stop = () => void Promise.all(workers.map((w) => w.stop()))
  signal?.addEventListener('abort', stop, { once: true })
  await Promise.all(
    Array.from({ length: target.partitions }, (_, index) => {
      const options: HostedWorkerOptions = {
        eventStore,
        documents,
        projection,
        partition: { index, count: target.partitions },
        generation: target.generation,
        stopAtHead: true,
        batchSize,
        maxBatchMs: 1000,
        // The new generation is this rebuild's alone: what it wrote is what the store has.
        keepDocuments,
        ...(registry ? { registry } : {}),
        onProgress: (p) => {
          perPartition.set(p.partition, p)
          onProgress?.(report())
        },
        fence,
      }
      const worker = new ProjectionWorker(options)
      workers.push(worker)
      if (signal?.aborted) void worker.stop()
      return worker.run().then((p) => perPartition.set(p.partition, p))
    }),
  ).finally(() => signal?.removeEventListener('abort', stop))
  if (signal?.aborted) return { ...report(), previousGeneration: target.previousGeneration, completed: false }
  if (!switchReaders) return { ...report(), previousGeneration: target.previousGeneration, completed: true }
  const { previousGeneration } = await switchGeneration(documents, projection, target, fence)
  return { ...report(), previousGeneration, completed: true }
}
