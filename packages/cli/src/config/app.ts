import { type AggregateClass, type AggregateDefinition, type EventRegistry } from '@eventfold/core'
import { aggregateMetadataOf, defaultEventRegistry, toAggregateDefinition } from '@eventfold/core/spi'
import { projectionFromInstance, UnknownProjectionError, type ProjectionDefinition } from '@eventfold/projections'
import { projectionMetadataOf } from '@eventfold/projections/spi'
import { consumerFromInstance, type ConsumerDefinition, type Fetcher } from '@eventfold/messaging'
import { ConfigConnectError } from './import-module'
import { ConfigError } from './config-error'
import type { ConnectOptions, EventfoldCliConfig, EventfoldConnection, ProjectionClass, RelayConfig, ServiceContainer, ServiceLog, TransportFactory } from './define-config'

/** The name of the one service of a config without `services`. */
export const DEFAULT_SERVICE = 'default'

/** The application as the commands see it: projections by name, aggregates by category. */
export interface CliApp {
  readonly configPath: string
  readonly registry: EventRegistry
  /** In config order. */
  readonly projections: ReadonlyMap<string, ProjectionDefinition>
  /** Keyed by category (the `<Category>` of `<Category>-<id>` stream ids). */
  readonly aggregates: ReadonlyMap<string, AggregateDefinition>
  /** What the service publishes, when the config says. */
  readonly relay: RelayConfig | undefined
  /** By name (the consumer group). */
  readonly consumers: ReadonlyMap<string, ConsumerDefinition>
  readonly fetchers: Readonly<Record<string, Fetcher>>
  /** Opens the config's transport; `undefined` when it declares none. */
  readonly transport: TransportFactory | undefined
  connect(options: ConnectOptions): Promise<EventfoldConnection>
  /** The services' logs by name, in config order: the config's `services`, or `default` on the log of `connect`. */
  readonly services: ReadonlyMap<string, ServiceLog>
  /**
   * The projection called `name`.
   * @throws {@link UnknownProjectionError} listing the known names.
   */
  projection(name: string): ProjectionDefinition
}

const isProjectionDefinition = (p: unknown): p is ProjectionDefinition =>
  typeof p === 'object' && p !== null && typeof (p as ProjectionDefinition).name === 'string' && typeof (p as ProjectionDefinition).handle === 'function'

/** Builds a class through the container when it is bound there, so that it gets its dependencies. */
const instantiate = <T extends object>(cls: new (...args: never[]) => T, container: ServiceContainer | undefined): T =>
  container?.isBound(cls) ? container.get<T>(cls) : new (cls as unknown as new () => T)()

const toProjection = (path: string, p: unknown, container: ServiceContainer | undefined, registry: EventRegistry): ProjectionDefinition => {
  if (isProjectionDefinition(p)) return p
  if (typeof p === 'function') {
    const meta = projectionMetadataOf(p)
    if (!meta) throw new ConfigError(path, `projection class ${p.name || '(anonymous)'} is not decorated with @Projection(...)`)
    registry.registerClasses(meta.eventClasses)
    return projectionFromInstance(instantiate(p as ProjectionClass, container))
  }
  throw new ConfigError(path, `projections must hold @Projection classes or projection definitions, found ${typeof p}`)
}

const toAggregate = (path: string, a: unknown, container: ServiceContainer | undefined, registry: EventRegistry): AggregateDefinition => {
  if (typeof a === 'function') {
    const meta = aggregateMetadataOf(a)
    if (!meta) throw new ConfigError(path, `aggregate class ${a.name || '(anonymous)'} is not decorated with @Aggregate(...)`)
    registry.registerClasses(meta.eventClasses)
    const cls = a as AggregateClass
    return toAggregateDefinition(cls, () => instantiate(cls, container))
  }
  if (typeof a === 'object' && a !== null && typeof (a as AggregateDefinition).category === 'string') return a as AggregateDefinition
  throw new ConfigError(path, `aggregates must hold @Aggregate classes or aggregate definitions, found ${typeof a}`)
}

const isConsumerDefinition = (c: unknown): c is ConsumerDefinition =>
  typeof c === 'object' && c !== null && typeof (c as ConsumerDefinition).name === 'string' && (c as ConsumerDefinition).handlers instanceof Map

const toConsumer = (path: string, c: unknown, container: ServiceContainer | undefined): ConsumerDefinition => {
  if (isConsumerDefinition(c)) return c
  if (typeof c === 'function') {
    try {
      return consumerFromInstance(instantiate(c as new () => object, container))
    } catch (error) {
      if ((error as { type?: unknown }).type === 'undecorated-class') throw new ConfigError(path, `consumer class ${c.name || '(anonymous)'} is not decorated with @Consumer(...)`)
      throw error
    }
  }
  throw new ConfigError(path, `consumers must hold @Consumer classes or consumer definitions, found ${typeof c}`)
}

/**
 * Resolves a loaded config: instantiates projection classes, compiles
 * aggregates, registers event classes and upcasters with the registry.
 * @throws {@link ConfigError} for duplicate names or undecorated classes.
 */
export const resolveApp = (configPath: string, config: EventfoldCliConfig): CliApp => {
  const registry = config.registry ?? defaultEventRegistry
  for (const u of config.upcasters ?? []) registry.addUpcaster(u)
  const projections = new Map<string, ProjectionDefinition>()
  for (const p of config.projections) {
    const def = toProjection(configPath, p, config.container, registry)
    if (projections.has(def.name)) throw new ConfigError(configPath, `two projections are named '${def.name}'`)
    projections.set(def.name, def)
  }
  const aggregates = new Map<string, AggregateDefinition>()
  for (const a of config.aggregates ?? []) {
    const def = toAggregate(configPath, a, config.container, registry)
    if (aggregates.has(def.category)) throw new ConfigError(configPath, `two aggregates have the category '${def.category}'`)
    aggregates.set(def.category, def)
  }
  const consumers = new Map<string, ConsumerDefinition>()
  for (const c of config.consumers ?? []) {
    const def = toConsumer(configPath, c, config.container)
    if (consumers.has(def.name)) throw new ConfigError(configPath, `two consumers are named '${def.name}'`)
    consumers.set(def.name, def)
  }
  // A connect that throws something other than an eventfold error is the config's fault: say so, naming the file.
  const guarded =
    <A, R>(open: (options: A) => Promise<R>) =>
    async (options: A): Promise<R> => {
      try {
        return await open(options)
      } catch (error) {
        if (typeof (error as { type?: unknown } | null)?.type === 'string') throw error
        throw new ConfigConnectError(configPath, error)
      }
    }
  const connect = guarded((options: ConnectOptions) => config.connect(options))
  const services = new Map<string, ServiceLog>(
    config.services
      ? Object.entries(config.services).map(([name, s]) => [name, { connect: guarded((options: ConnectOptions) => s.connect(options)) }])
      : [[DEFAULT_SERVICE, { connect }]],
  )
  return {
    configPath,
    registry,
    projections,
    aggregates,
    relay: config.relay,
    consumers,
    fetchers: config.fetchers ?? {},
    transport: config.transport,
    connect,
    services,
    projection: (name) => {
      const def = projections.get(name)
      if (!def) throw new UnknownProjectionError(name, [...projections.keys()])
      return def
    },
  }
}
