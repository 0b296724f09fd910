import type { CommandBus } from '@eventfold/core'
import type { Documents } from '@eventfold/projections'
import type { IntegrationEnvelope } from '../envelope/envelope'

/**
 * What a handler gets beside the envelope. Everything it does through it
 * commits in one transaction with the message's inbox record, or not at all.
 */
export interface ConsumerContext<F = unknown> {
  /** The consumer service's command bus: the events its commands append commit with the message (choreography). */
  readonly commands: CommandBus
  /** The consumer's read model, its default collection; `collection(name)` for the others. */
  readonly documents: Documents
  /**
   * For a zero-payload (`payload: 'reference'`) event: the producer's
   * current data, loaded by the fetcher registered for the event's type.
   * @throws {@link FetcherMissingError} when no fetcher is registered for the type.
   */
  fetch(): Promise<F>
}

/** Handles one integration event type. `D` is the envelope's data, `F` what `fetch()` returns. */
export type IntegrationHandler<D = any, F = any> = (envelope: IntegrationEnvelope<D>, context: ConsumerContext<F>) => void | Promise<void>

/**
 * Loads the current state an identifiers-only event refers to, from the
 * service that owns it (e.g. an HTTP call to the producer).
 */
export type Fetcher<D = any, F = any> = (envelope: IntegrationEnvelope<D>) => Promise<F>

/** A consumer, whatever way it was written: a name (its consumer group), topics, handlers by event type. */
export interface ConsumerDefinition {
  /** The consumer group, and the consumer's key in its inbox and parked messages. */
  readonly name: string
  readonly topics: readonly string[]
  /** The collection `context.documents` writes to. */
  readonly collection: string
  readonly handlers: ReadonlyMap<string, IntegrationHandler>
}

/** Options of {@link defineConsumer}. */
export interface DefineConsumerOptions {
  readonly topics: readonly string[]
  /** @default the consumer's name, `-` and `.` turned into `_` */
  readonly collection?: string
  /** Handlers by integration event type (`OrderPlaced.v1`). */
  readonly handlers: Readonly<Record<string, IntegrationHandler>>
}

/**
 * A consumer from plain functions.
 * @throws {TypeError} for a name or collection that is not alphanumeric with `-` `_` `.`, or no topic.
 * @example
 * ```ts
 * const billing = defineConsumer('billing', {
 *   topics: ['orders'],
 *   handlers: {
 *     'OrderPlaced.v1': async (e, { commands }) => { await commands.execute(openInvoice(e.data.orderId)) },
 *   },
 * })
 * ```
 */
export const defineConsumer = (name: string, { topics, collection, handlers }: DefineConsumerOptions): ConsumerDefinition => {
  assertConsumerName(name)
  if (topics.length === 0) throw new TypeError(`Consumer '${name}' needs at least one topic`)
  const c = collection ?? name.replace(/[-.]/g, '_')
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(c)) throw new TypeError(`Collection '${c}' of consumer '${name}' must be alphanumeric with _`)
  return { name, topics: [...topics], collection: c, handlers: new Map(Object.entries(handlers)) }
}

/** @throws {TypeError} when `name` cannot name a consumer group. */
export const assertConsumerName = (name: string): void => {
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name)) throw new TypeError(`Consumer name '${name}' must be alphanumeric with - _ .`)
}
