import type { EventFilter, RecordedEvent } from '@eventfold/core'
import type { IndexSpec } from '../documents/document'
import type { Documents } from '../documents/documents'
import { requireProjectionMetadata, type PartitionBy, type ProjectionHandler } from './decorators'

/** Everything a worker needs to run one projection. */
export interface ProjectionDefinition {
  readonly name: string
  readonly collections: readonly string[]
  readonly version: number
  readonly partitionBy: PartitionBy
  readonly indexes: readonly IndexSpec[]
  /** Event types with a handler: the worker's server-side filter. */
  readonly eventTypes: readonly string[]
  /** Runs the handler of `event` (no-op for types without one); a promise only when the handler returned one. */
  handle(event: RecordedEvent, view: Documents): Promise<void> | void
}

/** Options of {@link defineProjection}: a projection without classes. */
export interface DefineProjectionOptions {
  readonly name: string
  readonly collections: readonly string[]
  readonly version?: number
  readonly partitionBy?: PartitionBy
  readonly indexes?: readonly IndexSpec[]
  readonly handlers: Readonly<Record<string, ProjectionHandler<never>>>
}

/** A projection written as a map of event type → handler. */
export const defineProjection = (options: DefineProjectionOptions): ProjectionDefinition => ({
  name: options.name,
  collections: options.collections,
  version: options.version ?? 1,
  partitionBy: options.partitionBy ?? 'stream',
  indexes: options.indexes ?? [],
  eventTypes: Object.keys(options.handlers),
  handle: (event, view) => (options.handlers[event.type] as ProjectionHandler | undefined)?.(event, view),
})

/**
 * Compiles a `@Projection` class instance (usually resolved from the
 * container, so it has its dependencies) to a {@link ProjectionDefinition}.
 */
export const projectionFromInstance = (instance: object): ProjectionDefinition => {
  const meta = requireProjectionMetadata(instance.constructor)
  return {
    name: meta.name,
    collections: meta.collections,
    version: meta.version,
    partitionBy: meta.partitionBy,
    indexes: meta.indexes,
    eventTypes: [...meta.handlers.keys()],
    handle: (event, view) => {
      const method = meta.handlers.get(event.type)
      return method ? (instance as Record<string, ProjectionHandler>)[method]!.call(instance, event, view) : undefined
    },
  }
}

/** The server-side filter for a projection's subscription. */
export const projectionFilter = (p: ProjectionDefinition): EventFilter => ({ eventTypes: p.eventTypes })
