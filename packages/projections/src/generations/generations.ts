import type { DocumentStore, PublishedReadModel } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import type { LeaseFence } from '../worker/leases'
import { dropGeneration } from './generation-collections'
import { physicalCollection, ProjectionStates, type ProjectionState } from './projection-state'

/*
 * The life of a projection's generations, in one place. A generation is one
 * copy of the read model (its collections, checkpoints, stream markers and
 * dead letters); the projection state says which one readers use.
 *
 * Every transition that changes the active generation publishes the read
 * model under its declared names in the same commit (see
 * {@link PublishedReadModel}); activating publishes again, so a store that
 * committed the state but not the names (no transactions, a crash between)
 * heals when the next worker or rebuild starts.
 *
 * - activate: the first worker creates generation 1; later starts read the active one.
 * - beginRebuild: a rebuild fills the next generation while the active one serves.
 * - switchGeneration: readers move to the rebuilt generation in one compare-and-set;
 *   the old one is recorded as retired, then retired (dropped).
 * - resetProjection: a fresh, empty generation becomes active; every other one is dropped.
 * - dropIfUnused: a worker that served a generation left behind drops what it wrote late.
 */

type Named = Pick<ProjectionDefinition, 'name' | 'collections'>

/** The read models a state publishes: its collections, in its active generation (none while generation 0). */
const publishedBy = (state: ProjectionState): PublishedReadModel[] =>
  state.generation > 0 ? (state.collections ?? []).map((name) => ({ name, collection: physicalCollection(name, state.generation) })) : []

/** True when readers use `generation` or a rebuild is filling it: its collections, checkpoints and dead letters are live. */
export const isGenerationInUse = (state: ProjectionState | undefined, generation: number): boolean =>
  state !== undefined && (state.generation === generation || state.rebuilding?.generation === generation)

/** A generation a rebuild is filling. */
export interface RebuildTarget {
  readonly generation: number
  readonly version: number
  readonly partitions: number
  /** True when a rebuild in progress was taken up again. */
  readonly resumed: boolean
  /** The generation readers used when the rebuild was asked for. */
  readonly previousGeneration: number | undefined
}

/**
 * The projection's state, creating it with generation 1 (built with
 * `partitions`) when the projection never ran. A state whose generation is 0
 * means a first rebuild is in progress and nothing serves readers yet.
 */
export const activateGeneration = async (
  documents: DocumentStore,
  projection: Pick<ProjectionDefinition, 'name' | 'collections' | 'version'>,
  partitions: number,
): Promise<ProjectionState> => {
  const { name, version, collections } = projection
  const states = new ProjectionStates(documents)
  const existing = await states.get(name)
  if (!existing) return (await states.update(name, (s) => s ?? { name, generation: 1, version, partitions, collections, updatedAt: '' }, publishedBy))!
  // Publishing again heals a store that committed a switch but not its names. It is a compare-and-set of the state, so
  // it never publishes over a newer switch; on a conflict whoever changed the state (switch, reset, activation) published.
  const healed = await states.updateOnce(name, (s) => s && { ...s, collections }, publishedBy)
  const state = healed.written ? healed.state : await states.get(name)
  // Removed meanwhile: start again, as for a projection that never ran.
  return state ?? activateGeneration(documents, projection, partitions)
}

/**
 * Starts a rebuild into the generation after every one in use, or takes up
 * the rebuild in progress. A retired generation whose drop never happened is
 * dropped first; a new target is emptied of anything an earlier attempt left.
 */
export const beginRebuild = async (
  documents: DocumentStore,
  projection: Pick<ProjectionDefinition, 'name' | 'collections' | 'version'>,
  partitions: number | undefined,
): Promise<RebuildTarget> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  const resumed = before?.rebuilding !== undefined
  if (before?.retired) await retireGeneration(documents, projection, before.retired)
  // Publishes the active generation again with the new state: a rebuild start heals names a crash left behind, as a worker start does.
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
    return s
      ? { ...s, rebuilding }
      : { name: projection.name, generation: 0, version: projection.version, partitions: rebuilding.partitions, collections: projection.collections, rebuilding, updatedAt: '' }
  }, publishedBy)
  const target = started!.rebuilding!
  if (!resumed) await dropGeneration(documents, projection, target.generation, target.partitions)
  return {
    generation: target.generation,
    version: target.version,
    partitions: target.partitions,
    resumed,
    previousGeneration: before && before.generation > 0 ? before.generation : undefined,
  }
}

/**
 * Switches readers to a rebuilt generation in one compare-and-set of the
 * projection state, then drops the generation they used before. A crash
 * between the two leaves it recorded as retired, for the next rebuild or
 * reset to drop.
 * @returns the generation readers used before, if any
 */
export const switchGeneration = async (
  documents: DocumentStore,
  projection: Named,
  target: Pick<RebuildTarget, 'generation' | 'version' | 'partitions'>,
  fence?: LeaseFence,
): Promise<{ readonly previousGeneration: number | undefined }> => {
  let previous: { generation: number; partitions: number } | undefined
  const switched = await new ProjectionStates(documents).update(
    projection.name,
    (s) => {
      // Another process ran the same rebuild and switched first (or a reset replaced it): what
      // it made active is no "previous" generation to drop.
      if (s?.rebuilding?.generation !== target.generation) {
        previous = undefined
        return s
      }
      previous = s.generation > 0 ? { generation: s.generation, partitions: s.partitions } : undefined
      return {
        name: projection.name,
        generation: target.generation,
        version: target.version,
        partitions: target.partitions,
        collections: projection.collections,
        ...(previous ? { retired: previous } : {}),
        updatedAt: '',
      }
    },
    publishedBy,
    fence,
  )
  if (previous && switched?.retired) await retireGeneration(documents, projection, switched.retired)
  return { previousGeneration: previous?.generation }
}

/** Drops a generation recorded as retired, then forgets it. */
export const retireGeneration = async (
  documents: DocumentStore,
  projection: Named,
  retired: { readonly generation: number; readonly partitions: number },
): Promise<void> => {
  await dropGeneration(documents, projection, retired.generation, retired.partitions)
  await new ProjectionStates(documents).update(projection.name, (s) => {
    if (!s || s.retired?.generation !== retired.generation) return s
    const { retired: _done, ...rest } = s
    return rest
  })
}

/**
 * Resets a projection: the next worker builds a fresh generation from
 * position 0. Every other generation (active, being rebuilt, retired) is
 * dropped with its checkpoints and dead letters. Nothing happens to a
 * projection that never ran.
 */
export const resetProjection = async (documents: DocumentStore, projection: Pick<ProjectionDefinition, 'name' | 'collections' | 'version'>): Promise<void> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  if (!before) return
  // The fresh generation must be above every one a rebuild may have written.
  const next = Math.max(before.generation, before.rebuilding?.generation ?? 0, before.retired?.generation ?? 0) + 1
  await states.update(
    projection.name,
    (s) => s && { name: s.name, generation: next, version: projection.version, partitions: s.partitions, collections: projection.collections, updatedAt: '' },
    publishedBy,
  )
  if (before.generation > 0) await dropGeneration(documents, projection, before.generation, before.partitions)
  if (before.rebuilding) await dropGeneration(documents, projection, before.rebuilding.generation, before.rebuilding.partitions)
  if (before.retired) await dropGeneration(documents, projection, before.retired.generation, before.retired.partitions)
}

/**
 * Drops a generation a worker served until a switch or reset, unless it is
 * in use again (active, or being rebuilt): whoever retired it dropped it
 * already, but a commit of the worker may have landed after that drop.
 */
export const dropIfUnused = async (documents: DocumentStore, projection: Named, generation: number, partitions: number): Promise<void> => {
  const state = await new ProjectionStates(documents).get(projection.name)
  if (state && !isGenerationInUse(state, generation)) await dropGeneration(documents, projection, generation, partitions)
}

/**
 * Gives up a rebuild in progress into `generation` (a preview nobody kept):
 * the projection state forgets it, then its collections, checkpoints and
 * dead letters are dropped. The active generation is not touched. Nothing
 * happens when another rebuild or a reset replaced it meanwhile.
 */
export const abandonRebuild = async (documents: DocumentStore, projection: Named, generation: number): Promise<void> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  const rebuilding = before?.rebuilding
  if (!before || rebuilding?.generation !== generation) return
  if (before.generation === 0) {
    // A projection that never served readers: without its first rebuild it is one that never ran.
    await states.remove(projection.name)
  } else {
    await states.update(projection.name, (s) => {
      if (!s || s.rebuilding?.generation !== generation) return s
      const { rebuilding: _dropped, ...rest } = s
      return rest
    })
  }
  await dropGeneration(documents, projection, generation, rebuilding.partitions)
}
