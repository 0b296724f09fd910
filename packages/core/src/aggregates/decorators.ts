import type { CommandClass } from '../commands/command'
import { commandTypeOf } from '../commands/command'
import type { EventClass } from '../events/event-registry'
import { eventTypeOf } from '../events/event-registry'
import { UndecoratedClassError } from '../errors/errors'

/** Options of `@Aggregate`. */
export interface AggregateOptions {
  /**
   * Take a snapshot every this many events (0 = never).
   * @default 0
   */
  readonly snapshotEvery?: number
  /**
   * Version of the aggregate's state shape; snapshots of another version are ignored.
   * Bump it whenever the fields or their meaning change.
   * @default 1
   */
  readonly snapshotVersion?: number
  /**
   * Prefix of the aggregate's stream ids: the stream of the aggregate `id` is
   * `streamPrefix + id`. The repository, replay and the CLI all use it.
   * @default `'<category>-'`
   * @example
   * ```ts
   * @Aggregate('Account', { streamPrefix: 'bank.account-' }) // streams 'bank.account-42', …
   * ```
   */
  readonly streamPrefix?: string
}

/** Options of `@CommandHandler`. */
export interface CommandHandlerOptions {
  /**
   * The command creates the aggregate: it fails with `StreamAlreadyExistsError`
   * when the stream exists. Other commands fail with `AggregateNotFoundError`
   * when it does not.
   * @default false
   */
  readonly creates?: boolean
}

/** What the decorators recorded on an aggregate class. */
export interface AggregateMetadata {
  readonly category: string
  readonly options: Required<AggregateOptions>
  readonly commandHandlers: ReadonlyMap<string, { readonly method: string; readonly creates: boolean }>
  readonly eventHandlers: ReadonlyMap<string, string>
  /** Event classes named by `@EventSourcingHandler`, registered with the event registry when wired. */
  readonly eventClasses: readonly EventClass[]
}

interface Pending {
  commandHandlers: Map<string, { method: string; creates: boolean }>
  eventHandlers: Map<string, string>
  eventClasses: EventClass[]
}

const PENDING = Symbol.for('eventfold.aggregate.pending')
const META = Symbol.for('eventfold.aggregate')

const pendingOf = (prototype: object): Pending => {
  const own = Object.prototype.hasOwnProperty.call(prototype, PENDING)
    ? ((prototype as Record<symbol, Pending>)[PENDING] as Pending)
    : undefined
  if (own) return own
  const created: Pending = { commandHandlers: new Map(), eventHandlers: new Map(), eventClasses: [] }
  Object.defineProperty(prototype, PENDING, { value: created, enumerable: false })
  return created
}

/**
 * Marks a class as an aggregate whose stream is `<category>-<id>`, or
 * `<streamPrefix><id>` when the options give a prefix.
 * @example
 * ```ts
 * @Aggregate('Account', { snapshotEvery: 100 })
 * class Account extends AggregateRoot { ... }
 * ```
 */
export function Aggregate(category: string, options: AggregateOptions = {}): ClassDecorator {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(category)) {
    throw new TypeError(`Aggregate category '${category}' must be alphanumeric (it prefixes stream ids: '${category}-<id>')`)
  }
  const streamPrefix = options.streamPrefix ?? `${category}-`
  assertStreamPrefix(category, streamPrefix)
  return (target) => {
    // Merge handlers declared on base classes, nearest class wins.
    const chain: Pending[] = []
    for (let p = target.prototype as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      if (Object.prototype.hasOwnProperty.call(p, PENDING)) chain.unshift((p as Record<symbol, Pending>)[PENDING]!)
    }
    const meta: AggregateMetadata = {
      category,
      options: { snapshotEvery: options.snapshotEvery ?? 0, snapshotVersion: options.snapshotVersion ?? 1, streamPrefix },
      commandHandlers: new Map(chain.flatMap((c) => [...c.commandHandlers])),
      eventHandlers: new Map(chain.flatMap((c) => [...c.eventHandlers])),
      eventClasses: chain.flatMap((c) => c.eventClasses),
    }
    Object.defineProperty(target, META, { value: meta, enumerable: false })
  }
}

/**
 * Refuses a stream prefix that cannot name streams.
 * @throws TypeError when `prefix` is not a non-empty string.
 */
export const assertStreamPrefix = (category: string, prefix: unknown): void => {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(`Aggregate '${category}': streamPrefix must be a non-empty string, got ${JSON.stringify(prefix)}`)
  }
}

/** Marks a method that decides what a command means for this aggregate. */
export function CommandHandler(command: CommandClass | string, options: CommandHandlerOptions = {}): MethodDecorator {
  const type = commandTypeOf(command)
  return (prototype, method) => {
    pendingOf(prototype).commandHandlers.set(type, { method: String(method), creates: options.creates ?? false })
  }
}

/**
 * Marks a method that evolves the aggregate's state with one event type. It
 * is called with the event and the recorded event; declare the second
 * parameter to read its metadata (when no handler declares it, a store may
 * leave metadata unread on load).
 */
export function EventSourcingHandler(event: EventClass | string): MethodDecorator {
  const type = eventTypeOf(event)
  return (prototype, method) => {
    const pending = pendingOf(prototype)
    pending.eventHandlers.set(type, String(method))
    if (typeof event !== 'string') pending.eventClasses.push(event)
  }
}

/** The metadata of an `@Aggregate` class, or `undefined`. */
export const aggregateMetadataOf = (cls: unknown): AggregateMetadata | undefined =>
  typeof cls === 'function' && Object.prototype.hasOwnProperty.call(cls, META)
    ? ((cls as unknown as Record<symbol, AggregateMetadata>)[META] as AggregateMetadata)
    : undefined

/**
 * The metadata of an `@Aggregate` class.
 * @throws {@link UndecoratedClassError} when the class is not decorated.
 */
export const requireAggregateMetadata = (cls: { name: string }): AggregateMetadata => {
  const meta = aggregateMetadataOf(cls)
  if (!meta) throw new UndecoratedClassError(cls.name, 'Aggregate')
  return meta
}
