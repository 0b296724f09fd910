import type { EventStore } from '@eventfold/core'
import { ProjectionStates, type DocumentStore, type ProjectionDefinition } from '@eventfold/projections'
import { checkpointName, DEAD_LETTER_COLLECTION, inPartition, partitionKey } from '@eventfold/projections/spi'

/** One partition of one generation. */
export interface PartitionStatus {
  /** `'<index>/<count>'`. */
  readonly partition: string
  /** Last position the partition committed; `null` before its first batch. */
  readonly checkpoint: bigint | null
  /** Events of the projection's types, in this partition, after the checkpoint. */
  readonly lag: number
}

/** One generation of a read model: the active one, or one a rebuild is filling. */
export interface GenerationStatus {
  readonly generation: number
  /** Projection version the generation is (being) built with. */
  readonly version: number
  readonly partitions: PartitionStatus[]
  /** Sum of the partitions' lags. */
  readonly lag: number
}

/**
 * Where a projection stands. `state` is what the stores can tell: `'new'`
 * (never run), `'rebuilding'`, `'caught-up'` (nothing left to apply) or
 * `'behind'` (events wait: a worker is catching up, or none is running; the
 * stores do not record which).
 */
export interface ProjectionStatus {
  readonly name: string
  readonly state: 'new' | 'rebuilding' | 'caught-up' | 'behind'
  /** Version the code declares. */
  readonly codeVersion: number
  /** The active generation was built by another version of the code: rebuild it. */
  readonly stale: boolean
  /** The generation readers use; `null` when there is none yet. */
  readonly active: GenerationStatus | null
  readonly rebuilding: (GenerationStatus & { readonly startedAt: string }) | null
  /** Last position in the log. */
  readonly head: bigint | null
  /** Dead letters parked by this projection. */
  readonly deadLetters: number
}

/**
 * Counts, per partition, the events of the projection's types after each
 * checkpoint, in one pass over the log from the lowest checkpoint. The pass
 * costs what the lag is: nothing for a caught-up projection.
 */
const lagOf = async (eventStore: EventStore, projection: ProjectionDefinition, count: number, checkpoints: readonly (bigint | undefined)[]): Promise<number[]> => {
  const lags = checkpoints.map(() => 0)
  const fromPosition = checkpoints.some((c) => c === undefined)
    ? 'start'
    : (checkpoints as bigint[]).reduce((a, b) => (a < b ? a : b)) + 1n
  for await (const e of eventStore.readAll({ fromPosition, filter: { eventTypes: projection.eventTypes } })) {
    for (let index = 0; index < count; index++) {
      const c = checkpoints[index]
      if ((c === undefined || e.position > c) && inPartition(e, { index, count }, projection.partitionBy)) lags[index]!++
    }
  }
  return lags
}

const generationStatus = async (
  eventStore: EventStore,
  documents: DocumentStore,
  projection: ProjectionDefinition,
  generation: number,
  version: number,
  count: number,
): Promise<GenerationStatus> => {
  const keys = Array.from({ length: count }, (_, index) => partitionKey({ index, count }))
  const checkpoints = await Promise.all(keys.map((k) => documents.readCheckpoint(checkpointName(projection.name, generation, k))))
  const lags = await lagOf(eventStore, projection, count, checkpoints)
  return {
    generation,
    version,
    partitions: keys.map((partition, i) => ({ partition, checkpoint: checkpoints[i] ?? null, lag: lags[i]! })),
    lag: lags.reduce((a, b) => a + b, 0),
  }
}

/** Reads the status of one projection from the stores. */
export const projectionStatus = async (eventStore: EventStore, documents: DocumentStore, projection: ProjectionDefinition): Promise<ProjectionStatus> => {
  const state = await new ProjectionStates(documents).get(projection.name)
  const head = (await eventStore.headPosition()) ?? null
  const deadLetters = await documents.count(DEAD_LETTER_COLLECTION, { projection: projection.name })
  // Generation 0 stands for "no read model yet" while a first rebuild fills generation 1.
  const active =
    state && state.generation > 0
      ? await generationStatus(eventStore, documents, projection, state.generation, state.version, state.partitions)
      : null
  const r = state?.rebuilding
  const rebuilding = r
    ? { ...(await generationStatus(eventStore, documents, projection, r.generation, r.version, r.partitions)), startedAt: r.startedAt }
    : null
  return {
    name: projection.name,
    state: !state ? 'new' : rebuilding ? 'rebuilding' : active && active.lag === 0 ? 'caught-up' : 'behind',
    codeVersion: projection.version,
    stale: active !== null && active.version !== projection.version,
    active,
    rebuilding,
    head,
    deadLetters,
  }
}
