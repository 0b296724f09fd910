import 'reflect-metadata'
import { Container, ContainerModule, decorate, injectable, type ServiceIdentifier } from 'inversify'
import { toAggregateDefinition, type AggregateClass, type AggregateDefinition } from '../aggregates/aggregate-definition'
import { AggregateRepository } from '../aggregates/repository'
import { aggregateMetadataOf } from '../aggregates/decorators'
import { CommandBus } from '../commands/command-bus'
import { retryOnConcurrency, type CommandMiddleware, type RetryOptions } from '../commands/middleware'
import { EventBus } from '../events/event-bus'
import { defaultEventRegistry, EventRegistry, type EventClass, type Upcaster } from '../events/event-registry'
import { eventHandlersOf, queryHandlersOf } from '../handlers/decorators'
import { QueryBus } from '../queries/query-bus'
import type { SnapshotStore } from '../snapshots/snapshot-store'
import type { EventStore } from '../store/event-store'
import { TOKENS } from './tokens'

type Class = new (...args: never[]) => object

/** What {@link createEventfold} and {@link eventfoldModule} wire. */
export interface EventfoldConfig {
  readonly eventStore: EventStore
  /** @default no snapshots */
  readonly snapshotStore?: SnapshotStore
  /** `@Aggregate` classes (resolved from the container, so they get constructor injection) or definitions. */
  readonly aggregates?: readonly (AggregateClass | AggregateDefinition)[]
  /** Services with `@EventHandler` methods. */
  readonly eventHandlers?: readonly (new (...args: never[]) => object)[]
  /** Services with `@QueryHandler` methods. */
  readonly queryHandlers?: readonly (new (...args: never[]) => object)[]
  /** Event classes to register up front (those named by `@EventSourcingHandler` are registered anyway). */
  readonly events?: readonly EventClass[]
  readonly upcasters?: readonly Upcaster[]
  /** Extra command middleware, outermost first (after correlation, before retry). @default [] */
  readonly middleware?: readonly CommandMiddleware[]
  /**
   * Retry commands that lose an optimistic-concurrency race; `false` turns it off.
   * @default { maxAttempts: 5 }
   */
  readonly retry?: RetryOptions | false
  /** @default the global registry filled by `@Event` */
  readonly registry?: EventRegistry
}

const ensureInjectable = (cls: Class): void => {
  // Applications decorate domain classes with eventfold's decorators only; inversify's mark is added here.
  try {
    decorate(injectable(), cls)
  } catch {
    // Already marked by the application's own @injectable(): nothing to add.
  }
}

/**
 * An inversify module that binds the event store, repository and buses and
 * registers aggregates, event handlers and query handlers, for applications
 * that already have a container. Call {@link connectHandlers} after loading.
 */
export const eventfoldModule = (config: EventfoldConfig): ContainerModule =>
  new ContainerModule(({ bind, isBound }) => {
    const registry = config.registry ?? defaultEventRegistry
    bind(TOKENS.EventRegistry).toConstantValue(registry)
    bind(TOKENS.EventStore).toConstantValue(config.eventStore)
    if (config.snapshotStore) bind(TOKENS.SnapshotStore).toConstantValue(config.snapshotStore)
    for (const a of config.aggregates ?? []) {
      if (typeof a === 'function' && !isBound(a)) {
        ensureInjectable(a as Class)
        bind(a).toSelf().inTransientScope()
      }
    }
    // A service may handle events and queries, or be bound by the application already.
    for (const h of new Set([...(config.eventHandlers ?? []), ...(config.queryHandlers ?? [])])) {
      if (isBound(h)) continue
      ensureInjectable(h)
      bind(h).toSelf().inSingletonScope()
    }
    bind(TOKENS.AggregateRepository).toDynamicValue(
      (ctx) =>
        new AggregateRepository(ctx.get<EventStore>(TOKENS.EventStore), {
          registry,
          ...(config.snapshotStore ? { snapshots: config.snapshotStore } : {}),
        }),
    ).inSingletonScope()
    bind(TOKENS.EventBus).toConstantValue(new EventBus({ registry }))
    bind(TOKENS.QueryBus).toConstantValue(new QueryBus())
    bind(TOKENS.CommandBus).toDynamicValue((ctx) => {
      const middleware = [...(config.middleware ?? [])]
      if (config.retry !== false) middleware.push(retryOnConcurrency(config.retry ?? {}))
      return new CommandBus({
        repository: ctx.get<AggregateRepository>(TOKENS.AggregateRepository),
        eventBus: ctx.get<EventBus>(TOKENS.EventBus),
        middleware,
      })
    }).inSingletonScope()
  })

/**
 * Registers event types, upcasters, aggregates and handlers with the buses
 * bound in `container` by {@link eventfoldModule}.
 */
export const connectHandlers = (container: Container, config: EventfoldConfig): void => {
  const registry = container.get<EventRegistry>(TOKENS.EventRegistry)
  if (config.events) registry.registerClasses(config.events)
  for (const u of config.upcasters ?? []) registry.addUpcaster(u)
  const commandBus = container.get<CommandBus>(TOKENS.CommandBus)
  for (const a of config.aggregates ?? []) {
    if (typeof a === 'function') {
      const meta = aggregateMetadataOf(a)
      if (meta) registry.registerClasses(meta.eventClasses)
      commandBus.register(toAggregateDefinition(a, () => container.get(a as ServiceIdentifier<object>)))
    } else {
      commandBus.register(a)
    }
  }
  const eventBus = container.get<EventBus>(TOKENS.EventBus)
  for (const h of config.eventHandlers ?? []) {
    const service = container.get<Record<string, (e: unknown, r: unknown) => unknown>>(h)
    for (const { type, method } of eventHandlersOf(h)) {
      eventBus.subscribe(type, (e, r) => service[method]!(e, r) as void, `${h.name}.${method}`)
    }
  }
  const queryBus = container.get<QueryBus>(TOKENS.QueryBus)
  for (const h of config.queryHandlers ?? []) {
    const service = container.get<Record<string, (q: unknown) => unknown>>(h)
    for (const { type, method } of queryHandlersOf(h)) queryBus.register(type, (q) => service[method]!(q))
  }
}

/** A wired application. */
export interface Eventfold {
  readonly container: Container
  readonly commandBus: CommandBus
  readonly queryBus: QueryBus
  readonly eventBus: EventBus
  readonly repository: AggregateRepository
  readonly registry: EventRegistry
  readonly eventStore: EventStore
  /** Closes the event store. */
  close(): Promise<void>
}

/**
 * Wires an application in one call.
 * @example
 * ```ts
 * const app = createEventfold({ eventStore: new InMemoryEventStore(), aggregates: [Account] })
 * await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
 * ```
 */
export const createEventfold = (config: EventfoldConfig & { readonly container?: Container }): Eventfold => {
  const container = config.container ?? new Container()
  container.loadSync(eventfoldModule(config))
  connectHandlers(container, config)
  return {
    container,
    commandBus: container.get(TOKENS.CommandBus),
    queryBus: container.get(TOKENS.QueryBus),
    eventBus: container.get(TOKENS.EventBus),
    repository: container.get(TOKENS.AggregateRepository),
    registry: container.get(TOKENS.EventRegistry),
    eventStore: config.eventStore,
    close: () => config.eventStore.close(),
  }
}
