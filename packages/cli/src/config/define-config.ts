import type { AggregateClass, AggregateDefinition, EventRegistry, EventStore, Upcaster } from '@eventfold/core'
import type { ConsumerDefinition, Fetcher, InboxStore } from '@eventfold/messaging'
import type { Transport } from '@eventfold/messaging/spi'
import type { DocumentStore, ProjectionDefinition } from '@eventfold/projections'

/** The stores a command works on, opened by {@link EventfoldCliConfig.connect}. */
export interface EventfoldConnection {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
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
  /** Opens the transport the consumers read (`eventfold consumers status` asks it for lag); the CLI closes it. @default none */
  readonly transport?: () => Promise<Transport>
  /** Resolves projection and aggregate classes it has bound. @default every class is built with `new` */
  readonly container?: ServiceContainer
}

/**
 * Types an `eventfold.config.js` (or `.ts`) for the editor; returns its argument.
 * @example
 * ```ts
 * export default defineConfig({ connect: () => connectSqlite('app.db'), projections: [Balances] })
 * ```
 */
export const defineConfig = (config: EventfoldCliConfig): EventfoldCliConfig => config
