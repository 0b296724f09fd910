import { assignOwnData } from '../utils/own-data'
import { aggregateIdPropertyOf, commandTypeOf } from '../commands/command'
import type { EventData, RecordedEvent } from '../events/event'
import type { EventRegistry } from '../events/event-registry'
import { DomainError, ValidationError } from '../errors/errors'
import { AggregateRoot } from './aggregate-root'
import { assertStreamPrefix, requireAggregateMetadata } from './decorators'

/** Facts a decider may use besides the command: who asked, and when. */
export interface DecideContext {
  readonly aggregateId: string
  readonly streamId: string
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * The plain shape every aggregate compiles to. Write one by hand with
 * {@link defineAggregate}, or let `@Aggregate` classes compile to it.
 */
export interface Decider<State, Cmd = unknown, Evt = unknown> {
  initialState(): State
  decide(command: Cmd, state: State, context: DecideContext): Evt | readonly Evt[] | Promise<Evt | readonly Evt[]>
  evolve(state: State, event: Evt, recorded?: RecordedEvent): State
}

/** How the command bus finds the target of one command type. */
export interface CommandRoute {
  readonly creates: boolean
  aggregateId(command: object): string | undefined
}

/** Snapshot hooks of an aggregate. */
export interface SnapshotPolicy<State> {
  /** Snapshot every this many events. */
  readonly every: number
  /** Version of the state shape; snapshots of another version are ignored. */
  readonly version: number
  toSnapshot(state: State): unknown
  fromSnapshot(snapshot: unknown): State
}

/** Everything the repository and command bus need to know about one aggregate type. */
export interface AggregateDefinition<State = unknown> {
  readonly category: string
  /**
   * Prefix of this aggregate's stream ids (see {@link aggregateStreamId}).
   * @default `'<category>-'`
   */
  readonly streamPrefix?: string
  readonly commands: ReadonlyMap<string, CommandRoute>
  readonly snapshot?: SnapshotPolicy<State>
  initialState(): State
  /** Decides and returns the new events as `EventData` at their current version. */
  decide(command: object, state: State, context: DecideContext, registry: EventRegistry): Promise<EventData[]>
  /** Evolves `state` with one (upcast) recorded event. */
  evolve(state: State, event: RecordedEvent, registry: EventRegistry): State
  /** True when `decide` already evolved `state` with the new events (decorated classes do). */
  readonly evolvesOnDecide?: boolean
  /**
   * False when `evolve` hands application code no recorded event's metadata,
   * so a load may leave it unread (`readMetadata: false`). @default true
   */
  readonly evolveReadsMetadata?: boolean
  /** Puts a fresh state in place for `id` (decorated aggregates need their id). */
  attach?(state: State, id: string, registry: EventRegistry): void
}

const isDefinition = (x: unknown): x is AggregateDefinition =>
  typeof x === 'object' && x !== null && 'category' in x && 'commands' in x && 'decide' in x

const toArray = <T>(x: T | readonly T[]): readonly T[] => (Array.isArray(x) ? (x as readonly T[]) : [x as T])

/** Options of {@link defineAggregate}. */
export interface DefineAggregateOptions<State, Cmd, Evt> extends Decider<State, Cmd, Evt> {
  /** Category: streams are `<category>-<id>`, unless `streamPrefix` says otherwise. */
  readonly category: string
  /**
   * Prefix of the aggregate's stream ids: the stream of the aggregate `id`
   * is `streamPrefix + id`. The repository, replay and the CLI all use it.
   * @default `'<category>-'`
   */
  readonly streamPrefix?: string
  /** Command type → how to find the aggregate id, and whether it creates the aggregate. */
  readonly commands: Readonly<Record<string, { aggregateId: (command: Cmd) => string | undefined; creates?: boolean }>>
  readonly snapshot?: SnapshotPolicy<State>
}

/**
 * An aggregate written as a plain decider, with no classes or decorators.
 * Events may be `@Event` instances or `{ type, data }`; `evolve` receives the
 * upcast recorded event (`{ type, data, metadata, streamId, revision,
 * position }`, its metadata parsed only if read), or the class instance when
 * the type has a registered class. Declare `evolve`'s third parameter (the
 * recorded event) to read metadata of classed events; a store may leave
 * metadata unread when it is not declared.
 */
export const defineAggregate = <State, Cmd extends object, Evt>(
  options: DefineAggregateOptions<State, Cmd, Evt>,
): AggregateDefinition<State> => {
  const streamPrefix = options.streamPrefix ?? `${options.category}-`
  assertStreamPrefix(options.category, streamPrefix)
  return {
    category: options.category,
    streamPrefix,
    commands: new Map(
      Object.entries(options.commands).map(([type, r]) => [
        type,
        { creates: r.creates ?? false, aggregateId: (c: object) => r.aggregateId(c as Cmd) },
      ]),
    ),
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    initialState: () => options.initialState(),
    decide: async (command, state, context, registry) =>
      toArray(await options.decide(command as Cmd, state, context)).map((e) => registry.toEventData(e as object)),
    // The recorded event itself, not a copy: a copy would read (and so parse) metadata the decider may never use.
    evolve: (state, recorded, registry) =>
      options.evolve(state, (registry.classOf(recorded.type) ? registry.instantiate(recorded) : recorded) as Evt, recorded),
    // Declared with two parameters, evolve reads a recorded event's metadata only through a type without a class,
    // which a load that left it unread meets and starts over from.
    evolveReadsMetadata: options.evolve.length > 2,
  }
}

/** A class decorated with `@Aggregate`. */
export type AggregateClass<T extends object = object> = new (...args: never[]) => T

/**
 * Compiles an `@Aggregate` class to an {@link AggregateDefinition}.
 * @param create builds a fresh instance; the DI module passes the container here.
 */
export const aggregateFromClass = <T extends object>(
  cls: AggregateClass<T>,
  create: () => T = () => new (cls as unknown as new () => T)(),
): AggregateDefinition<T> => {
  const meta = requireAggregateMetadata(cls)
  const route = (type: string, creates: boolean): CommandRoute => ({
    creates,
    aggregateId: (command) => {
      const prop = aggregateIdPropertyOf(command)
      if (!prop) {
        throw new ValidationError(`Command '${type}' has no @AggregateId() property`, [{ path: '', message: 'no aggregate id' }], type)
      }
      const v = (command as Record<string, unknown>)[prop]
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
    },
  })

  const evolveEvent = (agg: T, event: RecordedEvent, registry: EventRegistry): T => {
    const method = meta.eventHandlers.get(event.type)
    if (method) (agg as Record<string, (e: unknown, r: RecordedEvent) => void>)[method]!(registry.instantiate(event), event)
    return agg
  }

  const ownState = (agg: T): Record<string, unknown> => {
    const hooks = agg as { toSnapshot?: () => unknown }
    if (typeof hooks.toSnapshot === 'function') return hooks.toSnapshot() as Record<string, unknown>
    // String keys only: the root's internals live under a symbol.
    return Object.fromEntries(Object.entries(agg))
  }

  return {
    category: meta.category,
    streamPrefix: meta.options.streamPrefix,
    commands: new Map([...meta.commandHandlers].map(([type, h]) => [type, route(type, h.creates)])),
    ...(meta.options.snapshotEvery > 0
      ? {
          snapshot: {
            every: meta.options.snapshotEvery,
            version: meta.options.snapshotVersion,
            toSnapshot: ownState,
            fromSnapshot: (snapshot: unknown) => {
              const agg = create()
              const hooks = agg as { fromSnapshot?: (s: unknown) => void }
              if (typeof hooks.fromSnapshot === 'function') hooks.fromSnapshot(snapshot)
              else assignOwnData(agg, snapshot)
              return agg
            },
          },
        }
      : {}),
    initialState: create,
    evolvesOnDecide: true,
    // A handler declared with one parameter is handed no recorded event.
    evolveReadsMetadata: [...meta.eventHandlers.values()].some(
      (method) => ((cls.prototype as Record<string, unknown>)[method] as ((...args: unknown[]) => unknown) | undefined)?.length !== 1,
    ),
    attach: (agg, id, registry) => {
      if (agg instanceof AggregateRoot) {
        AggregateRoot.attach(agg, id, registry, (data) => {
          // Events applied during a decision are evolved right away, as the recorded form will be.
          evolveEvent(agg, { ...data, metadata: data.metadata, streamId: '', revision: -1n, position: -1n } as RecordedEvent, registry)
        })
      }
    },
    decide: async (command, agg, _context, registry) => {
      const type = commandTypeOf(command)
      const handler = meta.commandHandlers.get(type)
      if (!handler) throw new DomainError(`Aggregate '${meta.category}' has no handler for '${type}'`)
      const method = (agg as Record<string, (c: object) => unknown>)[handler.method]!
      const returned = await method.call(agg, command)
      const applied = agg instanceof AggregateRoot ? AggregateRoot.takePending(agg) : []
      // A handler on a class that does not extend AggregateRoot returns its events instead.
      const returnedEvents =
        returned === undefined || returned === null ? [] : toArray(returned as object).map((e) => registry.toEventData(e))
      if (!(agg instanceof AggregateRoot)) {
        for (const e of returnedEvents) {
          evolveEvent(agg, { ...e, streamId: '', revision: -1n, position: -1n } as RecordedEvent, registry)
        }
      }
      return [...applied, ...returnedEvents]
    },
    evolve: evolveEvent,
  }
}

// Definitions of classes built with the default `create`: a repository given
// a class compiles it once, not on every load.
const compiled = new WeakMap<AggregateClass, AggregateDefinition>()

/** Accepts an `@Aggregate` class or a definition and returns the definition. */
export const toAggregateDefinition = (
  aggregate: AggregateClass | AggregateDefinition,
  create?: () => object,
): AggregateDefinition => {
  if (isDefinition(aggregate)) return aggregate
  if (create) return aggregateFromClass(aggregate, create) as AggregateDefinition
  let def = compiled.get(aggregate)
  if (!def) compiled.set(aggregate, (def = aggregateFromClass(aggregate) as AggregateDefinition))
  return def
}

/**
 * The stream id of the aggregate `id`: `<streamPrefix><id>`, by default
 * `<category>-<id>`.
 * @example
 * ```ts
 * aggregateStreamId(Account, '42') // 'Account-42'
 * ```
 */
export const aggregateStreamId = (aggregate: AggregateClass | AggregateDefinition, id: string): string =>
  streamPrefixOf(toAggregateDefinition(aggregate)) + id

/**
 * The aggregate id that a stream id names, or `undefined` when the stream is
 * not one of this aggregate's (its id does not start with the prefix, or
 * nothing follows it).
 */
export const aggregateIdOfStream = (aggregate: AggregateClass | AggregateDefinition, streamId: string): string | undefined => {
  const prefix = streamPrefixOf(toAggregateDefinition(aggregate))
  return streamId.length > prefix.length && streamId.startsWith(prefix) ? streamId.slice(prefix.length) : undefined
}

/** The stream prefix of a definition: its own, or `<category>-` for one written by hand without it. */
export const streamPrefixOf = (def: AggregateDefinition): string => def.streamPrefix ?? `${def.category}-`
