import type { CommitRequest, DocumentStore, PublishedReadModel } from '../documents/document-store'
import type { LeaseFence } from '../worker/leases'
import { DocumentConflictError } from '../errors/errors'

/** The system collection that holds parked events; a generation's letters are dropped with it. */
export const DEAD_LETTER_COLLECTION = '_ef_dead_letters'

/** The system collection that says which generation of each read model readers use. */
export const PROJECTION_STATE_COLLECTION = '_ef_projections'

/** Where a projection's read model lives and what is being done to it. */
export interface ProjectionState {
  readonly name: string
  /** Generation readers use; its collections are stored as `<collection>__<generation>`. */
  readonly generation: number
  /**
   * Collections the projection declares, published under these names for
   * the active generation. Absent in states written before names were published.
   */
  readonly collections?: readonly string[]
  /** Projection version that built the active generation. */
  readonly version: number
  /** Partition count the active generation is built with; changing it needs a rebuild. */
  readonly partitions: number
  /** A rebuild in progress into this generation, resumable after a crash. */
  readonly rebuilding?: { readonly generation: number; readonly version: number; readonly partitions: number; readonly startedAt: string }
  /**
   * A generation readers no longer use whose collections are still to be
   * dropped (recorded at the switch, so a crash before the drop is healed by
   * the next rebuild or reset).
   */
  readonly retired?: { readonly generation: number; readonly partitions: number }
  readonly updatedAt: string
}

/** The physical collection of a declared one in a generation; readers use the declared name (see {@link ReadModels}). */
export const physicalCollection = (logical: string, generation: number): string => `${logical}__${generation}`

/** The collection of a projection's stream markers in a generation, beside its read model. */
export const streamMarkerCollection = (projection: string, generation: number): string =>
  physicalCollection(`_ef_stream_markers.${projection}`, generation)

/** Checkpoint name of one partition of one generation. */
export const checkpointName = (projection: string, generation: number, partition: string): string =>
  `${projection}@${generation}#${partition}`

/** Reads and changes projection states with compare-and-set, so concurrent switches cannot both win. */
export class ProjectionStates {
  constructor(private readonly store: DocumentStore) {}

  async get(name: string): Promise<ProjectionState | undefined> {
    return (await this.getStored(name))?.state
  }

  async list(): Promise<ProjectionState[]> {
    const docs = await this.store.find(PROJECTION_STATE_COLLECTION, {}, { sort: { _id: 1 } })
    return docs.map((d) => ({ ...(d as unknown as ProjectionState), name: d._id }))
  }

  /**
   * Reads the state, lets `change` derive the next one, and writes it if no
   * one else changed it meanwhile (retrying on conflict). `publish` names
   * the read models to publish in the same commit as the new state; with
   * `fence`, the commit also renews that lease, and fails with
   * `LeaseLostError` when another process took it over.
   */
  async update(
    name: string,
    change: (current: ProjectionState | undefined) => ProjectionState | undefined,
    publish?: (next: ProjectionState) => readonly PublishedReadModel[],
    fence?: LeaseFence,
  ): Promise<ProjectionState | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const outcome = await this.updateOnce(name, change, publish, fence)
      if (outcome.written !== false) return outcome.state
    }
    throw new Error(`Could not update the state of projection '${name}': too much contention`)
  }

  /**
   * {@link update} with one attempt: `written` is false, and nothing was
   * written, when someone else changed the state between the read and the
   * write; undefined when `change` left it as it was.
   */
  async updateOnce(
    name: string,
    change: (current: ProjectionState | undefined) => ProjectionState | undefined,
    publish?: (next: ProjectionState) => readonly PublishedReadModel[],
    fence?: LeaseFence,
  ): Promise<{ readonly state: ProjectionState | undefined; readonly written?: boolean }> {
    const stored = await this.getStored(name)
    const next = change(stored?.state)
    if (next === undefined || next === stored?.state) return { state: stored?.state }
    const { name: _name, ...rest } = { ...next, updatedAt: new Date().toISOString() }
    const commit = (request: CommitRequest) => (fence ? fence.commit((renewal) => this.store.commit({ ...request, fence: renewal })) : this.store.commit(request))
    try {
      await commit({
        writes: [
          {
            kind: 'put',
            collection: PROJECTION_STATE_COLLECTION,
            doc: { _id: name, ...rest },
            meta: { revision: (stored?.revision ?? 0) + 1, positions: {} },
            expectedRevision: stored?.revision ?? 0,
          },
        ],
        ...(publish ? { publish: publish({ ...next, name }) } : {}),
      })
      return { state: { ...next, name }, written: true }
    } catch (e) {
      if (!(e instanceof DocumentConflictError)) throw e
      return { state: stored?.state, written: false }
    }
  }

  /** Removes the state of a projection. */
  async remove(name: string): Promise<void> {
    const stored = await this.getStored(name)
    if (!stored) return
    await this.store.commit({ writes: [{ kind: 'delete', collection: PROJECTION_STATE_COLLECTION, id: name, expectedRevision: stored.revision }] })
  }

  private async getStored(name: string): Promise<{ state: ProjectionState; revision: number } | undefined> {
    const s = (await this.store.getMany(PROJECTION_STATE_COLLECTION, [name])).get(name)
    if (!s) return undefined
    const { _id, ...rest } = s.doc
    return { state: { ...(rest as unknown as ProjectionState), name: _id }, revision: s.meta.revision }
  }
}
