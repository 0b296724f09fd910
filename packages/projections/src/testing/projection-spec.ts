import { isDeepStrictEqual } from 'node:util'
import { EventfoldError, InMemoryEventStore, type EventRegistry } from '@eventfold/core'
import { defaultEventRegistry } from '@eventfold/core/spi'
import type { Document } from '../documents/document'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import { DeadLetters } from '../dead-letters/dead-letters'
import { projectionFromInstance, type ProjectionDefinition } from '../projection/projection-definition'
import { ReadModels } from '../read-models/read-models'
import { rebuildProjection } from '../rebuild/rebuild-projection'

/** An event of {@link ProjectionSpec.given} with the stream it is in and metadata of its own. */
export interface GivenEvent {
  readonly streamId: string
  /** An `@Event` instance or `{ type, data }`. */
  readonly event: object
  readonly metadata?: Readonly<Record<string, unknown>>
}

/** Documents expected by collection, then by id; `undefined` for a document that must not exist. */
export type ExpectedDocuments = Readonly<Record<string, Readonly<Record<string, Document | Omit<Document, '_id'> | undefined>>>>

/** A projection spec after `given`, to assert the read model with. */
export interface ProjectionSpecResult {
  /**
   * Asserts these documents, by collection and id, are exactly as given (the
   * `_id` may be left out); other documents are not looked at.
   * @throws {@link ProjectionSpecError} showing the expected and actual documents.
   */
  then(expected: ExpectedDocuments): Promise<void>
  /**
   * Asserts the whole collection is exactly `expected`, in `_id` order.
   * @throws {@link ProjectionSpecError} showing the expected and actual collections.
   */
  thenCollection(collection: string, expected: readonly Document[]): Promise<void>
  /** The documents of `collection`, in `_id` order, for assertions of your own. */
  documents(collection: string): Promise<Document[]>
}

/** A projection spec's expectation did not hold; the message shows expected and actual documents. */
export class ProjectionSpecError extends EventfoldError {
  readonly type = 'ProjectionSpecError'
  constructor(
    readonly projection: string,
    readonly collection: string,
    readonly expected: unknown,
    readonly actual: unknown,
    what: string,
  ) {
    super(`ProjectionSpec '${projection}': ${what} in collection '${collection}' differ\n  expected: ${show(expected)}\n  actual:   ${show(actual)}`)
  }
}

/** A given event's handler threw in a projection spec (the event would be parked as a dead letter). */
export class ProjectionSpecHandlerError extends EventfoldError {
  readonly type = 'ProjectionSpecHandlerError'
  constructor(
    readonly projection: string,
    readonly eventType: string,
    readonly streamId: string,
    readonly position: string,
    readonly error: { readonly name: string; readonly message: string },
  ) {
    super(`ProjectionSpec '${projection}': the handler of ${eventType} (stream ${streamId}, position ${position}) threw ${error.name}: ${error.message}`)
  }
}

/** As plain JSON data: stores may hand documents out with another prototype, which a strict comparison would tell apart. */
const plain = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

const show = (value: unknown): string => JSON.stringify(value, null, 2)?.replace(/\n/g, '\n  ') ?? 'undefined'

/** The `occurredAt` of given events without one of their own: specs of projections that keep dates stay deterministic. */
export const SPEC_OCCURRED_AT = '2000-01-01T00:00:00.000Z'

const isGiven = (e: object): e is GivenEvent => 'streamId' in e && 'event' in e && typeof (e as GivenEvent).event === 'object'

/**
 * A given/then specification of one projection, with no database: the given
 * events go through the projection's handlers, as a rebuild runs them, into
 * an in-memory document store, and the read model is compared with what is
 * expected.
 * @example
 * ```ts
 * await ProjectionSpec.for(new AccountBalances())
 *   .given([new AccountOpened('a1', 'Ann'), new MoneyDeposited('a1', 500)])
 *   .then({ account_balances: { a1: { owner: 'Ann', balance: 500, movements: 1, status: 'open', openedAt: SPEC_OCCURRED_AT } } })
 * ```
 */
export class ProjectionSpec {
  private constructor(
    private readonly projection: ProjectionDefinition,
    private readonly registry: EventRegistry,
  ) {}

  /** Starts a spec of a `@Projection` instance or a {@link ProjectionDefinition}. */
  static for(projection: object | ProjectionDefinition, registry: EventRegistry = defaultEventRegistry): ProjectionSpec {
    const definition = 'handle' in projection && 'eventTypes' in projection ? (projection as ProjectionDefinition) : projectionFromInstance(projection)
    return new ProjectionSpec(definition, registry)
  }

  /**
   * The events in the log, in order: `@Event` instances or `{ type, data }`
   * (in stream `spec-1`), or {@link GivenEvent}s naming their stream.
   */
  given(events: readonly (object | GivenEvent)[]): ProjectionSpecResult {
    const built = this.build(events)
    const { name } = this.projection
    const documents = async (collection: string): Promise<Document[]> => {
      const store = await built
      return new ReadModels(store).collection(collection).find({}, { sort: { _id: 1 } })
    }
    return {
      documents,
      then: async (expected) => {
        for (const [collection, byId] of Object.entries(expected)) {
          const actual = new Map((await documents(collection)).map((d) => [d._id, d]))
          const want: Record<string, unknown> = {}
          const got: Record<string, unknown> = {}
          for (const [id, doc] of Object.entries(byId)) {
            want[id] = plain(doc === undefined ? undefined : { _id: id, ...doc })
            got[id] = plain(actual.get(id))
          }
          if (!isDeepStrictEqual(want, got)) throw new ProjectionSpecError(name, collection, want, got, 'documents')
        }
      },
      thenCollection: async (collection, expected) => {
        const actual = plain(await documents(collection))
        const want = plain([...expected].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)))
        if (!isDeepStrictEqual(want, actual)) throw new ProjectionSpecError(name, collection, want, actual, 'all documents')
      },
    }
  }

  /**
   * Runs the events through the projection.
   * @throws {@link ProjectionSpecHandlerError} when a handler threw on every attempt.
   */
  private async build(events: readonly (object | GivenEvent)[]): Promise<InMemoryDocumentStore> {
    const eventStore = new InMemoryEventStore()
    for (const e of events) {
      const { streamId, event, metadata } = isGiven(e) ? e : { streamId: 'spec-1', event: e, metadata: undefined }
      const data = this.registry.toEventData(event)
      await eventStore.appendToStream(streamId, [{ ...data, metadata: { occurredAt: SPEC_OCCURRED_AT, ...data.metadata, ...metadata } }])
    }
    const store = new InMemoryDocumentStore()
    await rebuildProjection({ eventStore, documents: store, projection: this.projection, registry: this.registry })
    const parked = await new DeadLetters(store).list(this.projection.name)
    if (parked.length > 0) {
      const { event, error } = parked[0]!
      throw new ProjectionSpecHandlerError(this.projection.name, event.type, event.streamId, event.position, error)
    }
    return store
  }
}
