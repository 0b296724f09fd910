import type { EventRegistry, EventStore } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { checkpointName, physicalCollection, ProjectionStates, type ProjectionState } from '../projection/projection-state'
import { partitionKey } from '../worker/partition'
import { ProjectionWorker, type WorkerProgress } from '../worker/projection-worker'

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
  /** @default 2000 */
  readonly batchSize?: number
  readonly onProgress?: (progress: RebuildProgress) => void
}

/** What a rebuild did. */
export interface RebuildResult extends RebuildProgress {
  readonly previousGeneration: number | undefined
}

/**
 * Rebuilds a projection into a new generation of its collections from
 * position 0 while the active generation keeps serving readers; when the new
 * one has caught up with the head, readers switch to it in one
 * compare-and-set of the projection state, and the old generation is dropped.
 *
 * Resumable: after a crash, calling it again continues the rebuild in
 * progress from its own checkpoints.
 */
export const rebuildProjection = async ({
  eventStore,
  documents,
  projection,
  partitions,
  registry,
  batchSize = 2000,
  onProgress,
}: RebuildOptions): Promise<RebuildResult> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  const resumed = before?.rebuilding !== undefined
  const started = await states.update(projection.name, (s): ProjectionState => {
    if (s?.rebuilding) return s
    const generation = Math.max(s?.generation ?? 0, 0) + 1
    const rebuilding = {
      generation,
      version: projection.version,
      partitions: partitions ?? s?.partitions ?? 1,
      startedAt: new Date().toISOString(),
    }
    // A projection never run has no readers yet: generation 0 stands for "nothing to serve".
    return s ? { ...s, rebuilding } : { name: projection.name, generation: 0, version: projection.version, partitions: rebuilding.partitions, rebuilding, updatedAt: '' }
  })
  const target = started!.rebuilding!
  if (!resumed) await dropGeneration(documents, projection, target.generation, target.partitions)
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
  await Promise.all(
    Array.from({ length: target.partitions }, (_, index) => {
      const worker = new ProjectionWorker({
        eventStore,
        documents,
        projection,
        partition: { index, count: target.partitions },
        generation: target.generation,
        stopAtHead: true,
        batchSize,
        ...(registry ? { registry } : {}),
        onProgress: (p) => {
          perPartition.set(p.partition, p)
          onProgress?.(report())
        },
      })
      return worker.run().then((p) => perPartition.set(p.partition, p))
    }),
  )
  let previousGeneration: number | undefined
  await states.update(projection.name, (s) => {
    previousGeneration = s?.generation
    return {
      name: projection.name,
      generation: target.generation,
      version: target.version,
      partitions: target.partitions,
      updatedAt: '',
    }
  })
  if (previousGeneration !== undefined && previousGeneration > 0 && previousGeneration !== target.generation) {
    await dropGeneration(documents, projection, previousGeneration, before?.partitions ?? 1)
  }
  return { ...report(), previousGeneration }
}

/** Drops a generation's collections and checkpoints. */
export const dropGeneration = async (
  documents: DocumentStore,
  projection: Pick<ProjectionDefinition, 'name' | 'collections'>,
  generation: number,
  partitions: number,
): Promise<void> => {
  for (const c of projection.collections) await documents.dropCollection(physicalCollection(c, generation))
  const prefix = `${projection.name}@${generation}#`
  const names = [...(await documents.listCheckpoints(prefix)).keys()]
  for (let index = 0; index < partitions; index++) names.push(checkpointName(projection.name, generation, partitionKey({ index, count: partitions })))
  await documents.deleteCheckpoints([...new Set(names)])
}

/**
 * Resets a projection: the next worker builds a fresh generation from
 * position 0. The old generation's collections and checkpoints are dropped.
 */
export const resetProjection = async (documents: DocumentStore, projection: Pick<ProjectionDefinition, 'name' | 'collections' | 'version'>): Promise<void> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  if (!before) return
  await states.update(projection.name, (s) =>
    s && { name: s.name, generation: s.generation + 1, version: projection.version, partitions: s.partitions, updatedAt: '' },
  )
  await dropGeneration(documents, projection, before.generation, before.partitions)
  if (before.rebuilding) await dropGeneration(documents, projection, before.rebuilding.generation, before.rebuilding.partitions)
}
