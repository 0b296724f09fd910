import type { Document, Filter, FindOptions } from '../documents/document'
import type { DocumentStore } from '../documents/document-store'
import { ReadModelNotReadyError, UnknownReadModelError } from '../errors/errors'
import { physicalCollection, PROJECTION_STATE_COLLECTION, type ProjectionState } from '../generations/projection-state'

/** Reads of one read model, by the collection name its projection declares. */
export interface ReadModel {
  /** The declared collection name. */
  readonly name: string
  /** One document. */
  get(id: string): Promise<Document | undefined>
  /** Documents matching a MongoDB filter. */
  find(filter?: Filter, options?: FindOptions): Promise<Document[]>
  count(filter?: Filter): Promise<number>
}

/** Options of {@link ReadModels}. */
export interface ReadModelsOptions {
  /**
   * How long a resolved generation is used before the projection state is
   * read again. A read that finds nothing reads the state at once, so a
   * switch whose old generation is already dropped is followed immediately.
   * @default 1000
   */
  readonly maxAgeMs?: number
}

interface Resolved {
  readonly collection: string
  readonly at: number
}

/**
 * Application code's door to the read models: each is addressed by the
 * collection name its projection declares, and read in the generation the
 * projection state says is active (a rebuild switches readers without them
 * knowing).
 * @example
 * ```ts
 * const balances = new ReadModels(documents).collection('account_balances')
 * await balances.find({ balance: { $gt: 0 } }, { sort: { balance: -1 } })
 * ```
 */
export class ReadModels {
  private readonly maxAgeMs: number
  private readonly resolved = new Map<string, Resolved>()

  constructor(
    private readonly documents: DocumentStore,
    { maxAgeMs = 1000 }: ReadModelsOptions = {},
  ) {
    this.maxAgeMs = maxAgeMs
  }

  /**
   * A read handle on the read model declared as `name`. Its reads throw
   * {@link UnknownReadModelError} when no projection that ran declares it, and
   * {@link ReadModelNotReadyError} while its first rebuild is running.
   */
  collection(name: string): ReadModel {
    const read = <T>(op: (collection: string) => Promise<T>, empty: (result: T) => boolean) => this.read(name, op, empty)
    return {
      name,
      get: (id) => read((c) => this.documents.get(c, id), (d) => d === undefined),
      find: (filter, options) => read((c) => this.documents.find(c, filter, options), (docs) => docs.length === 0),
      count: (filter) => read((c) => this.documents.count(c, filter), (n) => n === 0),
    }
  }

  /** The collection `name` is stored in now, read from the projection state. */
  async resolve(name: string): Promise<string> {
    const states = (await this.documents.find(PROJECTION_STATE_COLLECTION, { collections: name })) as unknown as ProjectionState[]
    const state = states.find((s) => s.generation > 0) ?? states[0]
    if (!state) {
      const all = (await this.documents.find(PROJECTION_STATE_COLLECTION)) as unknown as ProjectionState[]
      throw new UnknownReadModelError(name, [...new Set(all.flatMap((s) => s.collections ?? []))].sort())
    }
    if (state.generation === 0) throw new ReadModelNotReadyError(name, (state as unknown as Document)._id, state.rebuilding?.generation)
    const collection = physicalCollection(name, state.generation)
    this.resolved.set(name, { collection, at: performance.now() })
    return collection
  }

  private async read<T>(name: string, op: (collection: string) => Promise<T>, empty: (result: T) => boolean): Promise<T> {
    const cached = this.resolved.get(name)
    if (!cached || performance.now() - cached.at > this.maxAgeMs) return op(await this.resolve(name))
    const result = await op(cached.collection)
    if (!empty(result)) return result
    // Nothing there: the generation may have been switched and dropped since it was resolved.
    const current = await this.resolve(name)
    return current === cached.collection ? result : op(current)
  }
}
