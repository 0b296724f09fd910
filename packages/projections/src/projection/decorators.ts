import { UndecoratedClassError, type EventClass, type RecordedEvent } from '@eventfold/core'
import { eventTypeOf } from '@eventfold/core/spi'
import type { IndexSpec } from '../documents/document'
import type { Documents } from '../documents/documents'

/** How events are spread over partitions. */
export type PartitionBy = 'stream' | ((event: RecordedEvent) => string)

/** Options of `@Projection`. */
export interface ProjectionOptions {
  /** The collection the handlers write to by default. Give this or `collections`. */
  readonly collection?: string
  /** Every collection the projection writes; the first is the default. */
  readonly collections?: readonly string[]
  /** Bump to make `eventfold projections status` report the read model as stale. @default 1 */
  readonly version?: number
  /**
   * What keeps order: events with the same key go to the same partition, in
   * log order. Partition by whatever the documents are keyed by when several
   * streams write one document. @default 'stream'
   */
  readonly partitionBy?: PartitionBy
  /** Indexes on the projection's collections. @default [] */
  readonly indexes?: readonly IndexSpec[]
}

/** A projection handler: turns one recorded event into document operations. */
export type ProjectionHandler<Data = unknown> = (event: RecordedEvent<Data>, view: Documents) => void | Promise<void>

/** What the decorators recorded on a projection class. */
export interface ProjectionMetadata {
  readonly name: string
  readonly collections: readonly string[]
  readonly version: number
  readonly partitionBy: PartitionBy
  readonly indexes: readonly IndexSpec[]
  /** Event type → handler method name. */
  readonly handlers: ReadonlyMap<string, string>
  readonly eventClasses: readonly EventClass[]
}

const META = Symbol.for('eventfold.projection')
const HANDLERS = Symbol.for('eventfold.projection.handlers')

interface PendingHandlers {
  handlers: Map<string, string>
  eventClasses: EventClass[]
}

/**
 * Marks a class as a projection that builds a read model.
 * @param name stable name: checkpoints and the CLI use it.
 * @example
 * ```ts
 * @Projection('account-balances', { collection: 'account_balances' })
 * class AccountBalances {
 *   @On(MoneyDeposited) deposited(e: RecordedEvent<MoneyDeposited>, view: Documents) {
 *     view.upsert(e.data.accountId, { $inc: { balance: e.data.amount } })
 *   }
 * }
 * ```
 */
export function Projection(name: string, options: ProjectionOptions): ClassDecorator {
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name)) throw new TypeError(`Projection name '${name}' must be alphanumeric with - _ .`)
  const collections = options.collections ?? (options.collection ? [options.collection] : [])
  if (collections.length === 0) throw new TypeError(`Projection '${name}' needs a collection`)
  for (const c of collections) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(c)) throw new TypeError(`Collection '${c}' of projection '${name}' must be alphanumeric with _`)
  }
  return (target) => {
    const pending = (target.prototype as Record<symbol, PendingHandlers | undefined>)[HANDLERS] ?? {
      handlers: new Map(),
      eventClasses: [],
    }
    const meta: ProjectionMetadata = {
      name,
      collections,
      version: options.version ?? 1,
      partitionBy: options.partitionBy ?? 'stream',
      indexes: options.indexes ?? [],
      handlers: new Map(pending.handlers),
      eventClasses: [...pending.eventClasses],
    }
    Object.defineProperty(target, META, { value: meta, enumerable: false })
  }
}

/** Marks the handler of one event type (class or type name). */
export function On(event: EventClass | string): MethodDecorator {
  const type = eventTypeOf(event)
  return (prototype, method) => {
    if (!Object.prototype.hasOwnProperty.call(prototype, HANDLERS)) {
      const inherited = (prototype as Record<symbol, PendingHandlers | undefined>)[HANDLERS]
      Object.defineProperty(prototype, HANDLERS, {
        value: { handlers: new Map(inherited?.handlers ?? []), eventClasses: [...(inherited?.eventClasses ?? [])] },
        enumerable: false,
      })
    }
    const pending = (prototype as Record<symbol, PendingHandlers>)[HANDLERS]!
    pending.handlers.set(type, String(method))
    if (typeof event !== 'string') pending.eventClasses.push(event)
  }
}

/** The metadata of a `@Projection` class, or `undefined`. */
export const projectionMetadataOf = (cls: unknown): ProjectionMetadata | undefined =>
  typeof cls === 'function' && Object.prototype.hasOwnProperty.call(cls, META)
    ? ((cls as unknown as Record<symbol, ProjectionMetadata>)[META] as ProjectionMetadata)
    : undefined

/**
 * The metadata of a `@Projection` class.
 * @throws {@link UndecoratedClassError}
 */
export const requireProjectionMetadata = (cls: { name: string }): ProjectionMetadata => {
  const m = projectionMetadataOf(cls)
  if (!m) throw new UndecoratedClassError(cls.name, 'Projection')
  return m
}
