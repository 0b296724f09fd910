import type { AggregateClass, AggregateDefinition, EventRegistry, EventStore, Upcaster } from '@eventfold/core'
import type { ConsumerDefinition, Fetcher, InboxStore, Publications } from '@eventfold/messaging'
import type { Transport } from '@eventfold/messaging/spi'
import type { DocumentStore, ProjectionDefinition } from '@eventfold/projections'
import type { DeadlineStore } from '@eventfold/sagas'

/** The stores a command works on, opened by {@link EventfoldCliConfig.connect}. */
export interface EventfoldConnection {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  /** Where `eventfold deadlines` reads deadlines. @default none: the deadline commands then say so */
  readonly deadlines?: DeadlineStore
  /**
   * The consumers' inbox on these stores, which `eventfold parked retry`
   * commits through (`connectSqlite` gives `sqliteInbox`). Without it, a
   * retry commits documents only (`documentsInbox`).
   */
  readonly inbox?: InboxStore
  /** Closes both stores (and whatever they share). The CLI calls it once, when the command ends. */
  close(): Promise<void>
}

/** What a command asks of {@link EventfoldCliConfig.connect}. */
export interface ConnectOptions {
  /**
   * The command only reads (streams, replay, status, dlq list): open the
   * stores without creating or migrating anything, and fail on a store
   * that does not exist. `connectSqlite` does this by itself.
   */
  readonly readOnly: boolean
}

/** A class decorated with `@Consumer`. */
export type ConsumerClass = new (...args: never[]) => object
/** The log of one service, opened by {@link ServiceLog.connect}. */
export interface ServiceLogConnection {
  readonly eventStore: EventStore
  /** Closes the store (and whatever it shares). The CLI calls it once, when the command ends. */
  close(): Promise<void>
}

/**
 * One service's event log, for the commands that follow a flow across
 * services (`eventfold trace`). `connectSqlite(path)` fits, as does the
 * `connect` of another service's config.
 */
export interface ServiceLog {
  /** Opens the service's event store; `readOnly` as for {@link EventfoldCliConfig.connect}. */
  connect(options: ConnectOptions): Promise<ServiceLogConnection>
}

/** A class decorated with `@Projection`. */
export type ProjectionClass = new (...args: never[]) => object

/**
 * The part of an inversify `Container` the CLI uses. A projection or
 * aggregate class that the container has bound is resolved from it (and so
 * gets its constructor dependencies); any other class is built with `new`.
 */
export interface ServiceContainer {
  get<T>(id: unknown): T
  isBound(id: unknown): boolean
}

/**
 * What an `eventfold.config.js` exports.
 * @example
 * ```js
 * // eventfold.config.js
 * const { defineConfig, connectSqlite } = require('@eventfold/cli')
 * const { Account, AccountBalances } = require('./dist/app')
 * module.exports = defineConfig({
 *   connect: () => connectSqlite('bank.db'),
 *   projections: [AccountBalances],
 *   aggregates: [Account],
 * })
 * ```
 */
export interface EventfoldCliConfig {
  /** Opens the event store and the document store. Called at most once per command, and only by commands that need the stores. */
  connect(options: ConnectOptions): Promise<EventfoldConnection>
  /** `@Projection` classes or definitions (`defineProjection`); names must be unique. */
  readonly projections: readonly (ProjectionClass | ProjectionDefinition)[]
  /** `@Aggregate` classes or definitions, found by category for `eventfold replay`. @default [] */
  readonly aggregates?: readonly (AggregateClass | AggregateDefinition)[]
  /** The registry events are upcast with. @default the global registry `@Event` fills */
  readonly registry?: EventRegistry
  /** Upcasters to add to the registry. @default [] */
  readonly upcasters?: readonly Upcaster[]
  /** `@Consumer` classes or definitions (`defineConsumer`) of integration events: `eventfold parked retry` applies their handlers. @default [] */
  readonly consumers?: readonly (ConsumerClass | ConsumerDefinition)[]
  /** Loaders of zero-payload events' current data by integration event type, for the consumers' `fetch()`. @default {} */
  readonly fetchers?: Readonly<Record<string, Fetcher>>
  /** Opens the service's broker connection: the consumers read it (`eventfold consumers status` asks it for lag) and the relay publishes through it; the CLI closes it. @default none */
  readonly transport?: TransportFactory
  /** Resolves projection and aggregate classes it has bound. @default every class is built with `new` */
  readonly container?: ServiceContainer
  /**
   * The event logs of the services a flow runs through, by service name:
   * `eventfold trace` follows a correlation id across all of them (each
   * service owns its log). The other commands use `connect` alone.
   * @default one service, `default`, whose log is the event store of `connect`
   * @example
   * ```js
   * services: { order: { connect: () => connectSqlite('order.db') }, payment: { connect: () => connectSqlite('payment.db') } }
   * ```
   */
  readonly services?: Readonly<Record<string, ServiceLog>>
  /** What the service publishes, for `eventfold relay`. @default none: `relay` commands fail */
  readonly relay?: RelayConfig
}

/** Opens the broker connection a relay publishes through; the CLI closes it when the command ends. */
export type TransportFactory = () => Transport | Promise<Transport>

/**
 * The relay of `eventfold relay run | status`: the log as the outbox.
 * @example
 * ```js
 * relay: {
 *   publications: definePublications({ source: 'orders', publications: [publish('OrderPlaced', { type: 'OrderPlaced.v1', topic: 'orders', map })] }),
 *   partitions: 4,
 *   transport: () => kafkaTransport({ brokers: process.env.KAFKA_BROKERS.split(',') }),
 * }
 * ```
 */
export interface RelayConfig {
  /** The chosen domain events and how each is published (`definePublications`). */
  readonly publications: Publications
  /** Names the relay's checkpoints and leases. @default 'default' */
  readonly name?: string
  /** Partitions of the log, shared by every `relay run` process. @default 1 */
  readonly partitions?: number
  /** The transport `relay run` publishes through, when not the config's `transport`; `--transport <module>` replaces both. @default the config's `transport` */
  readonly transport?: TransportFactory
}

/**
 * Types an `eventfold.config.js` (or `.ts`) for the editor; returns its argument.
 * @example
 * ```ts
 * export default defineConfig({ connect: () => connectSqlite('app.db'), projections: [Balances] })
 * ```
 */
export const defineConfig = (config: EventfoldCliConfig): EventfoldCliConfig => config
